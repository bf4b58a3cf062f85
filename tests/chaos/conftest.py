"""The chaos modules import each other as plain modules (they are also run as a script by `make chaos`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
