/**
 * The document editor: JSON text checked as it is typed, and the writes a
 * person needs: create (with a chosen id, or one the server picks), save
 * (a whole-document replace that holds only if nobody wrote since the
 * version shown: a stale one answers failed_precondition) and delete (with
 * the same precondition). Errors, the console's or the server's, show
 * under the editor. A document holding typed values (Document.fields) is
 * edited in its typed form, so saving it keeps integers, timestamps, bytes,
 * references and geo points exactly.
 */
import { useState } from "preact/hooks";
import type { Document } from "../../../gen/impossibledb/v1/document_pb.js";
import { useClients } from "../connection.js";
import { ErrorLine } from "../error-line.js";
import { describeError, type ShownError } from "../errors.js";
import { formatTime } from "../format.js";
import { documentText, parseDocumentText, parseTypedFieldsText, typedFieldsText } from "../json-text.js";

interface DocumentEditorProps {
  readonly collection: string;
  /** The document as last read; null for a new one. */
  readonly document: Document | null;
  readonly onSaved: (doc: Document) => void;
  readonly onDeleted: () => void;
}

/** Edits one document, or a new one. */
export function DocumentEditor({ collection, document, onSaved, onDeleted }: DocumentEditorProps) {
  const { collections } = useClients();
  const typed = document !== null && Object.keys(document.fields).length > 0;
  const [text, setText] = useState(typed ? typedFieldsText(document.fields) : documentText(document?.data));
  const [newId, setNewId] = useState("");
  const [version, setVersion] = useState(document === null ? "" : String(document.version));
  const [serverError, setServerError] = useState<ShownError | null>(null);
  const [busy, setBusy] = useState(false);
  const parsed = typed ? parseTypedFieldsText(text) : parseDocumentText(text);
  const syntaxError: ShownError | null = parsed.ok ? null : { code: "invalid_json", message: parsed.message };

  const act = async (call: () => Promise<void>) => {
    setBusy(true);
    setServerError(null);
    try {
      await call();
    } catch (err) {
      setServerError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const precondition = () => ({ condition: { case: "version" as const, value: BigInt(version) } });

  const create = () =>
    act(async () => {
      if (!parsed.ok) return;
      const id = newId.trim();
      const res =
        id === ""
          ? await collections.addDocument({ collection, ...("fields" in parsed ? { fields: parsed.fields } : { data: parsed.data }) })
          : await collections.createDocument({ ref: { collection, id }, ...("fields" in parsed ? { fields: parsed.fields } : { data: parsed.data }) });
      onSaved(res.document!);
    });
  const save = () =>
    act(async () => {
      if (!parsed.ok || document === null) return;
      const body = "fields" in parsed ? { fields: parsed.fields } : { data: parsed.data };
      const res = await collections.setDocument({ ref: { collection, id: document.id }, ...body, precondition: precondition() });
      onSaved(res.document!);
    });
  const remove = () =>
    act(async () => {
      if (document === null) return;
      await collections.deleteDocument({ ref: { collection, id: document.id }, precondition: precondition() });
      onDeleted();
    });

  return (
    <div class="column editor" aria-label="document editor">
      <h2>{document === null ? "New document" : <code>{document.id}</code>}</h2>
      {document === null ? (
        <label>
          Id <input value={newId} onInput={(e) => setNewId(e.currentTarget.value)} placeholder="blank: the server picks one" />
        </label>
      ) : (
        <p class="muted">
          created {formatTime(document.createTime)}, updated{" "}
          {formatTime(document.updateTime)}
        </p>
      )}
      <label class="stacked">
        {typed ? "Fields (typed values, protobuf JSON)" : "Data (JSON)"}
        <textarea
          class={syntaxError === null ? "json" : "json invalid"}
          spellcheck={false}
          rows={14}
          value={text}
          aria-invalid={syntaxError !== null}
          onInput={(e) => setText(e.currentTarget.value)}
        />
      </label>
      <ErrorLine error={syntaxError} />
      {document === null ? (
        <div class="row">
          <button type="button" class="primary" disabled={busy || !parsed.ok} onClick={create}>
            Create
          </button>
        </div>
      ) : (
        <div class="row">
          <label>
            If version is <input class="narrow" value={version} inputMode="numeric" onInput={(e) => setVersion(e.currentTarget.value)} />
          </label>
          <button type="button" class="primary" disabled={busy || !parsed.ok || !/^[1-9][0-9]*$/.test(version)} onClick={save}>
            Save
          </button>
          <button type="button" class="danger" disabled={busy || !/^[1-9][0-9]*$/.test(version)} onClick={remove}>
            Delete
          </button>
        </div>
      )}
      <ErrorLine error={serverError} />
    </div>
  );
}
