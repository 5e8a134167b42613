/**
 * `service.version` from a container image reference, as the semantic conventions' last step
 * ("the tag and/or digest of the container image") and the Collector's k8sattributes processor
 * (`parseServiceVersionFromImage`) take it: `tag@digest`, else the digest, else the tag. An
 * image without either (`nginx`, which means `:latest` to the runtime) gives no version, as there.
 */

/** `[host[:port]/]path`: lower-case path components, as distribution/reference wants them. */
const NAME = /^(?:[A-Za-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** The version an image reference names, or undefined (no tag and no digest, or not a reference). */
export function versionFromImage(image: string | undefined): string | undefined {
  if (image === undefined || image === '' || image.length > 512) return undefined;
  const at = image.indexOf('@');
  const named = at === -1 ? image : image.slice(0, at);
  const digest = at === -1 ? undefined : image.slice(at + 1);
  // A colon after the last slash starts the tag; one before it is a registry port.
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  const name = hasTag ? named.slice(0, colon) : named;
  const tag = hasTag ? named.slice(colon + 1) : undefined;
  if (!NAME.test(name) || (tag !== undefined && !TAG.test(tag)) || (digest !== undefined && !DIGEST.test(digest))) return undefined;
  if (digest !== undefined) return tag !== undefined ? `${tag}@${digest}` : digest;
  return tag;
}
