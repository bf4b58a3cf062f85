"""The cut rule on its own (export.cut.ClipCut): packets in decode order in, packets to copy out."""

from __future__ import annotations

from vigil_fn.export.cut import ClipCut

# (name, time, keyframe) in decode order; 100 per frame, a keyframe every 4 frames
GOPS = [(f"f{t}", t, t % 400 == 0) for t in range(0, 1200, 100)]


def _run(cut: ClipCut[str], packets: list[tuple[str, int, bool]], period: int = 100) -> list[str]:
    out: list[str] = []
    for name, t, key in packets:
        out += cut.feed(name, t, key)
        if cut.done:
            break
    return out + cut.finish(period)


def test_starts_at_the_last_keyframe_at_or_before_start_and_ends_before_end() -> None:
    assert _run(ClipCut(450, 750), GOPS) == ["f400", "f500", "f600", "f700"]
    assert _run(ClipCut(400, 800), GOPS) == ["f400", "f500", "f600", "f700"]   # on a keyframe: no lead
    assert _run(ClipCut(799, 801), GOPS) == ["f400", "f500", "f600", "f700", "f800"]


def test_stops_reading_at_the_first_packet_at_or_past_the_end() -> None:
    cut: ClipCut[str] = ClipCut(0, 250)
    fed = 0
    for name, t, key in GOPS:
        cut.feed(name, t, key)
        fed += 1
        if cut.done:
            break
    assert fed == 4 and cut.done      # f300 said "done"; nothing after it was asked for


def test_a_clip_over_before_start_gives_nothing_unless_its_last_frame_is_on_screen() -> None:
    assert _run(ClipCut(5000, 6000), GOPS) == []
    assert _run(ClipCut(1150, 2000), GOPS) == ["f800", "f900", "f1000", "f1100"]   # f1100 shows until 1200


def test_packets_before_the_first_keyframe_are_dropped() -> None:
    packets = [("b1", 0, False), ("b2", 100, False), ("k", 200, True), ("p", 300, False)]
    assert _run(ClipCut(0, 1000), packets) == ["k", "p"]
    assert _run(ClipCut(250, 1000), packets) == ["k", "p"]


def test_with_b_frames_the_first_packet_past_the_end_cuts_the_rest_of_the_clip() -> None:
    # decode order I0 P3 B1 B2 P6 B4 B5: P6 is at/after end=500, so B4 (which needs P6) is not kept
    packets = [("I0", 0, True), ("P3", 300, False), ("B1", 100, False), ("B2", 200, False),
               ("P6", 600, False), ("B4", 400, False), ("B5", 500, False)]
    assert _run(ClipCut(0, 500), packets) == ["I0", "P3", "B1", "B2"]
