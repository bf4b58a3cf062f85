"""`make chaos`: run the whole-stack fault scenario for a seed and print the summary (see chaos_runner).

    .venv/bin/python tests/chaos/run.py --seed 7 --cameras 8 --minutes 10
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chaos_runner import Config, Scenario, summary_table  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="chaos", description="Start the local stack and N real vigil-camera "
                                "processes, inject faults on a schedule drawn from the seed, settle, and prove "
                                "every clip is in OSS exactly once, byte-identical, and in the timeline.")
    p.add_argument("--seed", type=int, default=None, help="schedule seed (default: a random one, printed)")
    p.add_argument("--cameras", type=int, default=6, help="simulated cameras (default %(default)s)")
    p.add_argument("--minutes", type=float, default=3.0, help="minutes of faults before settling (default %(default)s)")
    p.add_argument("--clip-seconds", type=float, default=2.0, help="clip length (default %(default)s)")
    p.add_argument("--fps", type=int, default=5, help="simulated frames per second (default %(default)s)")
    p.add_argument("--resolution", default="320x180", help="simulated resolution (default %(default)s)")
    p.add_argument("--kill-stack", type=int, default=None,
                   help="kill -9 of the whole stack, how many times (default: one per 3 minutes, at least 1)")
    p.add_argument("--viewers", type=int, default=2,
                   help="viewers browsing recordings through the api, plus one live watcher; 0 for none "
                        "(default %(default)s)")
    p.add_argument("--no-faults", action="store_true", help="the same fleet with no faults: a baseline")
    args = p.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1, 1_000_000)
    kills = args.kill_stack if args.kill_stack is not None else max(1, int(args.minutes // 3))
    cfg = Config(seed=seed, cameras=args.cameras, duration_s=args.minutes * 60, clip_seconds=args.clip_seconds,
                 fps=args.fps, resolution=args.resolution, kill_stack=kills, faults=not args.no_faults,
                 viewers=args.viewers)
    report = Scenario(cfg, say=lambda line: print(line, flush=True)).run()
    print(summary_table(report))
    print(f"report: {report['report_file']}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
