/**
 * Browse: the collections, a page of a collection's documents at a time, and
 * the document editor beside them. Paging keeps the tokens of the pages
 * before, so "Previous" goes back without the server's help.
 */
import { useState } from "preact/hooks";
import type { Document } from "../../../gen/impossibledb/v1/document_pb.js";
import { useClients } from "../connection.js";
import { ErrorLine } from "../errors.js";
import { useCall } from "../use-call.js";
import { DocumentEditor } from "./document-editor.js";

/** Documents per page of the document list. */
export const DOCUMENTS_PAGE_SIZE = 20;
/** Collections listed; the server pages them, the console shows the first page and a box for any other name. */
export const COLLECTIONS_PAGE_SIZE = 100;

/** The Browse panel. */
export function BrowsePanel() {
  const { collections } = useClients();
  const [collection, setCollection] = useState("");
  const [selected, setSelected] = useState<Document | "new" | null>(null);
  const [listGeneration, setListGeneration] = useState(0);
  const names = useCall(() => collections.listCollections({ pageSize: COLLECTIONS_PAGE_SIZE }), [collections, listGeneration]);

  const open = (name: string) => {
    setCollection(name);
    setSelected(null);
  };
  const changed = () => setListGeneration((n) => n + 1);

  return (
    <section class="panel browse" data-panel="browse" aria-label="Browse">
      <div class="column">
        <h2>Collections</h2>
        <ErrorLine error={names.error} />
        <ul class="list" aria-label="collections">
          {names.data?.collections.map((c) => (
            <li key={c.name}>
              <button type="button" class={c.name === collection ? "selected" : ""} onClick={() => open(c.name)}>
                {c.name} <span class="muted">{String(c.approximateDocumentCount)}</span>
              </button>
            </li>
          ))}
        </ul>
        {names.data !== null && names.data.collections.length === 0 ? <p class="muted">No collections yet.</p> : null}
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            const input = (e.currentTarget as HTMLFormElement).elements.namedItem("collection") as HTMLInputElement;
            open(input.value.trim());
          }}
        >
          <label>
            Open collection <input name="collection" placeholder="name" required />
          </label>
          <button type="submit">Open</button>
        </form>
      </div>
      {collection === "" ? (
        <p class="muted column">Pick a collection, or open one by name to add its first document.</p>
      ) : (
        <DocumentList key={`${collection}/${listGeneration}`} collection={collection} selected={selected} onSelect={setSelected} />
      )}
      {collection !== "" && selected !== null ? (
        <DocumentEditor
          key={selected === "new" ? "new" : `${selected.id}@${selected.version}`}
          collection={collection}
          document={selected === "new" ? null : selected}
          onSaved={(doc) => {
            setSelected(doc);
            changed();
          }}
          onDeleted={() => {
            setSelected(null);
            changed();
          }}
        />
      ) : null}
    </section>
  );
}

interface DocumentListProps {
  readonly collection: string;
  readonly selected: Document | "new" | null;
  readonly onSelect: (doc: Document | "new") => void;
}

function DocumentList({ collection, selected, onSelect }: DocumentListProps) {
  const { collections } = useClients();
  // The tokens of the pages shown so far; the last is the current page's.
  const [tokens, setTokens] = useState<string[]>([""]);
  const pageToken = tokens[tokens.length - 1]!;
  const page = useCall(() => collections.listDocuments({ collection, pageSize: DOCUMENTS_PAGE_SIZE, pageToken }), [collections, collection, pageToken]);
  const selectedId = selected !== null && selected !== "new" ? selected.id : null;
  return (
    <div class="column">
      <h2>
        Documents in <code>{collection}</code>
      </h2>
      <ErrorLine error={page.error} />
      <ul class="list" aria-label="documents">
        {page.data?.documents.map((doc) => (
          <li key={doc.id}>
            <button type="button" class={doc.id === selectedId ? "selected" : ""} onClick={() => onSelect(doc)}>
              {doc.id} <span class="muted">v{String(doc.version)}</span>
            </button>
          </li>
        ))}
      </ul>
      {page.data !== null && page.data.documents.length === 0 ? <p class="muted">No documents on this page.</p> : null}
      <div class="row">
        <button type="button" disabled={tokens.length === 1} onClick={() => setTokens(tokens.slice(0, -1))}>
          Previous
        </button>
        <span class="muted">page {tokens.length}</span>
        <button type="button" disabled={!page.data?.nextPageToken} onClick={() => setTokens([...tokens, page.data!.nextPageToken])}>
          Next
        </button>
        <button type="button" class="primary" onClick={() => onSelect("new")}>
          New document
        </button>
      </div>
    </div>
  );
}
