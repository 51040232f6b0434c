/** A string as a literal regular expression, for asserting messages that contain paths or URLs. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
