"""ctest driver: makes the inputs and references, then runs capi-test."""
import subprocess
import sys

exe, data = sys.argv[1], sys.argv[2]
here = __file__.rsplit("/", 1)[0]
subprocess.run([sys.executable, f"{here}/make_capi_inputs.py", data], check=True)
sys.exit(subprocess.run([exe, data]).returncode)
