"""Run every speed benchmark in turn (about 5 minutes). Each prints figures and ratios.
The built-in tasks' quality benchmarks take longer: run_tasks.py."""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

for script in ("cli_startup.py", "train_speed.py", "generation_speed.py", "distributed_speed.py", "sandbox_humaneval.py",
               "quality_tinyshakespeare.py"):
    sys.argv = [script]
    runpy.run_path(str(HERE / script), run_name="__main__")
