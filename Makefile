# Makefile - the one entry point: make, make run, make test, make bench (see README.md)
ARCH ?= amd64
O ?= 2
Q ?= @

LIB_SRCS := lib/format.c lib/console.c lib/mem.c lib/multiboot.c lib/acpi.c lib/vmx.c \
            lib/vmcs_fields.c lib/trap.c lib/apic.c lib/mtrr_read.c lib/page_alloc.c lib/ept.c lib/vmx_host.c pure/mtrr.c
LIB_ASM := lib/arch/isr_$(ARCH).S lib/arch/ap_trampoline.S lib/arch/vmx_entry_$(ARCH).S
LHV_SRCS := $(wildcard lhv/*.c) $(wildcard lhv/tests/*.c)
LHV_ASM := $(wildcard lhv/arch/$(ARCH)/*.S) $(wildcard lhv/tests/*.S)

ifeq ($(ARCH),amd64)
ARCH_CFLAGS := -m64 -mno-red-zone -mcmodel=small
else ifeq ($(ARCH),i386)
ARCH_CFLAGS := -m32
else
$(error ARCH must be amd64 or i386)
endif

CFLAGS := $(ARCH_CFLAGS) -O$(O) -g -std=gnu11 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
          -fno-builtin -mgeneral-regs-only -fno-omit-frame-pointer -fno-common \
          -Wall -Wextra -Werror -Wno-address-of-packed-member -Ilib -Ilhv
ASFLAGS := $(ARCH_CFLAGS) -Wa,--noexecstack -Ilib -Ilhv
LDFLAGS := $(ARCH_CFLAGS) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 -Wl,--no-warn-rwx-segments

LHV_DIR := build/lhv-$(ARCH)-O$(O)
LHV_OBJS := $(patsubst %.c,$(LHV_DIR)/%.o,$(LIB_SRCS) $(LHV_SRCS)) $(patsubst %.S,$(LHV_DIR)/%.o,$(LIB_ASM) $(LHV_ASM))

.PHONY: all lhv lhv-all run test test-full unit labtest bench fuzz clean setup
all: lhv-all hv

lhv: $(LHV_DIR)/lhv.elf

lhv-all:
	$(Q)$(MAKE) --no-print-directory lhv ARCH=i386
	$(Q)$(MAKE) --no-print-directory lhv ARCH=amd64

$(LHV_DIR)/lhv.elf: $(LHV_OBJS) lhv/lhv.ld
	$(Q)$(CC) $(LDFLAGS) -T lhv/lhv.ld -o $@ $(LHV_OBJS) -lgcc
	@echo "  LD  $@"

$(LHV_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LHV_DIR)/%.o: %.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ASFLAGS) -MMD -MP -c $< -o $@

-include $(LHV_OBJS:.o=.d)

# ---- nestvisor (amd64 only) ----
HV_BASE ?= 0x10000000
INIT_SMP ?= 1
HV_DIR := build/hv-O$(O)$(if $(filter 0x10000000,$(HV_BASE)),,-$(HV_BASE))$(if $(filter 1,$(INIT_SMP)),,-nosmp)
HV_SRCS := $(LIB_SRCS) pure/e820.c pure/vmx_operand.c pure/vmcs12_check.c pure/msr_list.c pure/guest_paging.c pure/ept_nested.c pure/mmio_insn.c $(shell find hv -name '*.c')
HV_ASMS := lib/arch/isr_amd64.S lib/arch/ap_trampoline.S lib/arch/vmx_entry_amd64.S $(shell find hv -name '*.S')
HV_CFLAGS := -m64 -mno-red-zone -mcmodel=small -O$(O) -g -std=gnu11 -ffreestanding -fno-pic -fno-pie \
          -fno-stack-protector -fno-builtin -mgeneral-regs-only -fno-omit-frame-pointer -fno-common \
          -Wall -Wextra -Werror -Wno-address-of-packed-member -I. -Ilib -Ihv -DHV_BASE=$(HV_BASE)ull -DINIT_SMP=$(INIT_SMP)
HV_OBJS := $(patsubst %.c,$(HV_DIR)/%.o,$(HV_SRCS)) $(patsubst %.S,$(HV_DIR)/%.o,$(HV_ASMS))

.PHONY: hv
hv: $(HV_DIR)/nestvisor.elf

$(HV_DIR)/nestvisor.elf: $(HV_OBJS) hv/hv.ld
	$(Q)$(CC) -m64 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 -Wl,--no-warn-rwx-segments \
	    -Wl,--defsym=HV_BASE=$(HV_BASE) -T hv/hv.ld -o $@ $(HV_OBJS) -lgcc
	@echo "  LD  $@"

$(HV_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

$(HV_DIR)/%.o: %.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) -m64 -Wa,--noexecstack -Ilib -Ihv -DHV_BASE=$(HV_BASE) -MMD -MP -c $< -o $@

-include $(HV_OBJS:.o=.d)

# ---- test guests ----
SIPI_DIR := build/guests/sipi-O$(O)
SIPI_SRCS := guests/sipi/main.c lib/format.c lib/console.c lib/mem.c lib/multiboot.c lib/acpi.c lib/apic.c lib/trap.c
SIPI_OBJS := $(patsubst %.c,$(SIPI_DIR)/%.o,$(SIPI_SRCS)) $(SIPI_DIR)/guests/sipi/entry.o $(SIPI_DIR)/lib/arch/ap_trampoline.o $(SIPI_DIR)/lib/arch/isr_i386.o
.PHONY: sipi
sipi: $(SIPI_DIR)/sipi.elf
$(SIPI_DIR)/sipi.elf: $(SIPI_OBJS) guests/sipi/sipi.ld
	$(Q)$(CC) -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -T guests/sipi/sipi.ld -o $@ $(SIPI_OBJS) -lgcc
$(SIPI_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -m32 -O$(O) -g -std=gnu11 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -fno-builtin -mgeneral-regs-only -Wall -Wextra -Werror -Ilib -MMD -MP -c $< -o $@
$(SIPI_DIR)/%.o: %.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) -m32 -Wa,--noexecstack -Ilib -MMD -MP -c $< -o $@
-include $(SIPI_OBJS:.o=.d)

setup:
	lab/lab setup

# Boot the default scenario, stream its serial console, end with the verdict.
run: setup
	lab/lab run $(or $(SCENARIO),hv-lhv) --profile $(or $(PROFILE),hp2540p) --stream

unit:
	$(Q)$(MAKE) --no-print-directory -C tests/unit run

labtest:
	python3 -m unittest discover -s tests/lab -v

# Host unit tests, the lab's own tests, then the fast lab matrix; last line "N passed, N failed".
test: setup
	lab/lab test --tier fast

test-full: setup
	lab/lab test --tier full

# libFuzzer harnesses (clang, ASan/UBSan) over the parsers of guest-controlled data; FUZZ_SECONDS per
# harness (default 120: 5 harnesses, 10 minutes in all)
fuzz: setup
	$(MAKE) -C tests/fuzz run FUZZ_SECONDS=$(or $(FUZZ_SECONDS),120)

# Emulated-instruction figures (Linux bare vs under nestvisor, CPUID round trip, VM exits) -> results/bench.json
bench: setup
	lab/lab bench --profile $(or $(PROFILE),hp2540p)

clean:
	rm -rf build
