/**
 * The words of a transaction's recorded abort reason, as later answers
 * quote them. Pure, so Node tests can load it without the Workers types.
 */

/**
 * A recorded abort reason without the words an answer wraps it in again
 * (a vote's code, "transaction aborted: ", "; retry it"), so that an answer
 * quoting it reads "transaction aborted: <why>; retry …" once, not
 * "transaction aborted: aborted: transaction aborted: <why>; retry it; retry …".
 */
export function bareAbortReason(reason: string): string {
  let text = reason.trim();
  for (let before = ""; before !== text; ) {
    before = text;
    text = text.replace(/^(aborted|transaction aborted)(:\s*|$)/i, "").replace(/;\s*retry (it|the call|the transaction)( as a new transaction)?\.?$/i, "");
  }
  return text === "" ? "no reason recorded" : text;
}
