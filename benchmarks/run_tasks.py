"""Run every built-in task's quality benchmark in turn, on the real datasets in
../shared/data (about 70 minutes on 2 cores; each skips without them). Each prints its
figures and the target it is measured against."""

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

for script in ("translate_multi30k.py", "summarize_dialogsum.py", "story_tinystories.py", "sentiment_sst2.py",
               "qa_squad.py", "code_humaneval.py"):
    sys.argv = [script]
    runpy.run_path(str(HERE / script), run_name="__main__")
