# tests/lab/test_bochs_stop.py: an interrupted lab stops every Bochs it started (bochs.stop_all), worker threads' too
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'lab'))
from nvlab import bochs  # noqa: E402


class StopAll(unittest.TestCase):
    def test_stops_and_forgets_every_live_emulator(self):
        with tempfile.TemporaryDirectory() as d:
            emus = []
            for _ in range(2):      # stand-ins for Bochs: a process in its own session, as start() makes
                e = bochs.Bochs(d)
                e.proc = subprocess.Popen(['sleep', '60'], start_new_session=True)
                with bochs._LIVE_LOCK:
                    bochs._LIVE.add(e)
                emus.append(e)
            bochs.stop_all()
            for e in emus:
                self.assertIsNotNone(e.proc.poll())
                self.assertNotIn(e, bochs._LIVE)


if __name__ == '__main__':
    unittest.main()
