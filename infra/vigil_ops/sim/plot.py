"""PNG plots of a fleet run: STS calls per second over time, and cameras without a usable token."""

from __future__ import annotations

from pathlib import Path

from .fleet import FleetResult


def smooth(series: list[int], window: int) -> list[float]:
    """Means over consecutive `window`-second buckets (a day of seconds is too dense to draw)."""
    return [sum(series[i:i + window]) / len(series[i:i + window]) for i in range(0, len(series), window)]


def plot(result: FleetResult, path: Path, title: str) -> Path:
    """Write `path` (PNG): calls/s with the quota and the function's budget, and the cameras that
    are spooling for want of a token. Needs matplotlib (the `sim` extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = result.config
    window = 10 if c.hours <= 8 else 60
    sts = smooth(result.sts_per_second, window)
    peak = smooth(result.sts_per_second, 1) if c.hours <= 8 else None
    hours = [i * window / 3600 for i in range(len(sts))]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    if peak is not None:
        top.plot([i / 3600 for i in range(len(peak))], peak, color="#9ecae1", lw=0.5, label="per second")
    top.plot(hours, sts, color="#08519c", lw=1.2, label=f"mean over {window} s")
    top.axhline(c.sts_quota, color="#cb181d", ls="--", lw=1, label=f"STS quota {c.sts_quota:g}/s")
    top.axhline(c.sts_budget, color="#fd8d3c", ls=":", lw=1, label=f"token function budget {c.sts_budget:g}/s")
    top.set_ylabel("AssumeRole calls / s")
    top.set_ylim(0, c.sts_quota * 1.15)
    top.legend(loc="upper right", fontsize=8)
    top.set_title(title, fontsize=10)
    without = smooth(result.without_token, window)
    bottom.fill_between(hours[:len(without)], without[:len(hours)], color="#fdae6b", step="post")
    bottom.set_ylim(0, max(1.0, max(without, default=0.0)) * 1.1)
    bottom.set_ylabel("cameras without\na usable token")
    bottom.set_xlabel("simulated hours")
    if c.outage:
        for ax in (top, bottom):
            ax.axvspan(c.outage[0] / 3600, c.outage[1] / 3600, color="#d9d9d9", alpha=0.6, lw=0)
        top.text(c.outage[0] / 3600, c.sts_quota * 1.05, " token function down", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
