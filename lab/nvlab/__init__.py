# lab/nvlab: the nestvisor lab package (disk images, Bochs runs, judge, matrix); standard library only
