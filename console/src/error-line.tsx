/** Shows a {@link ShownError} inline, where the action was taken. */
import type { ShownError } from "./errors.js";

/** One error line, announced to screen readers; nothing when there is no error. */
export function ErrorLine({ error }: { error: ShownError | null }) {
  if (error === null) return null;
  return (
    <p class="error" role="alert">
      <code>{error.code}</code> {error.message}
    </p>
  );
}
