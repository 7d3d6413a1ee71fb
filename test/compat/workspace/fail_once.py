import os, runpy, sys
here = os.path.dirname(os.path.abspath(__file__))
marker = os.path.join(here, "failed_once")
if not os.path.exists(marker):
    open(marker, "w").close()
    sys.exit("failing once")
# With a gate name, the fixed attempt waits for that file (gate.py, which reads the same argument):
# a deferrable operator then sees the repair still running and defers, however fast the task is.
if len(sys.argv) > 1:
    runpy.run_path(os.path.join(here, "gate.py"), run_name="__main__")
print("fixed")
