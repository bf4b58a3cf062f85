// The grid's pictures asked the moment the prefetched /cameras answer arrives (main.tsx), not after
// /me has answered and the grid has rendered (measured: about half a second later on a loaded
// machine). The tiles' <img> then find the same URLs in the page's image cache.
const held: HTMLImageElement[] = []; // referenced until the page leaves: a collected Image may cancel its load

/** Starts loading each URL as an image (undefined/null entries are skipped). */
export function warmPictures(urls: (string | null | undefined)[]): void {
  for (const url of urls) {
    if (!url) continue;
    const img = new Image();
    img.decoding = "async";
    img.src = url;
    held.push(img);
  }
}
