// Media time ↔ wall-clock time for a loaded VOD playlist. hls.js lays the playlist's segments end
// to end on the media timeline (a gap leaves no hole there), and every segment carries its
// EXT-X-PROGRAM-DATE-TIME, so wall time is found per segment.

export interface FragTime {
  /** media time of the segment's start, seconds */
  start: number;
  /** seconds */
  duration: number;
  /** EXT-X-PROGRAM-DATE-TIME of the segment, epoch ms */
  pdt: number;
}

/** The media time that shows wall instant `wall`; a wall time in a gap snaps to the next segment. */
export function wallToMedia(frags: FragTime[], wall: number): { time: number; snapped: boolean } | null {
  for (const f of frags) {
    const fEnd = f.pdt + f.duration * 1000;
    if (wall < f.pdt) return { time: f.start, snapped: true };
    if (wall < fEnd) return { time: f.start + (wall - f.pdt) / 1000, snapped: false };
  }
  return null;
}

/** The wall instant shown at media time `t`, or null outside every segment. */
export function mediaToWall(frags: FragTime[], t: number): number | null {
  // a segment's end is the next one's start: that instant belongs to the next segment
  for (const f of frags) {
    if (t >= f.start && t < f.start + f.duration) return f.pdt + (t - f.start) * 1000;
  }
  const last = frags[frags.length - 1];
  if (last && t >= last.start && t <= last.start + last.duration + 1e-3) return last.pdt + (t - last.start) * 1000;
  return null;
}
