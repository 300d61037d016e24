/**
 * Browse: the collections and a collection's documents, a page at a time,
 * kept up to date live (Listen), and the document editor beside them.
 */
import { useState } from "preact/hooks";
import type { Document } from "../../../gen/impossibledb/v1/document_pb.js";
import { useClients } from "../connection.js";
import { ErrorLine } from "../error-line.js";
import { Pager } from "../pager.js";
import { usePages } from "../use-pages.js";
import { useLiveChanges } from "../use-live-changes.js";
import { DocumentEditor } from "./document-editor.js";

/** Documents per page of the document list. */
export const DOCUMENTS_PAGE_SIZE = 20;
/** Collections per page of the collection list. */
export const COLLECTIONS_PAGE_SIZE = 50;

/** The Browse panel. */
export function BrowsePanel() {
  const { collections } = useClients();
  const [collection, setCollection] = useState("");
  const [selected, setSelected] = useState<Document | "new" | null>(null);
  const [listGeneration, setListGeneration] = useState(0);
  const namePages = usePages((pageToken) => collections.listCollections({ pageSize: COLLECTIONS_PAGE_SIZE, pageToken }), [collections], listGeneration);
  const names = namePages.current;

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
        <Pager pages={namePages} label="collections" />
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
        <DocumentList key={collection} collection={collection} generation={listGeneration} selected={selected} onSelect={setSelected} />
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
  /** Changes after every write from the editor: the page is loaded again. */
  readonly generation: number;
  readonly selected: Document | "new" | null;
  readonly onSelect: (doc: Document | "new") => void;
}

function DocumentList({ collection, generation, selected, onSelect }: DocumentListProps) {
  const { collections } = useClients();
  // Writes from anywhere (other clients too) reload the page as they commit.
  const live = useLiveChanges(collection);
  const pages = usePages(
    (pageToken) => collections.listDocuments({ collection, pageSize: DOCUMENTS_PAGE_SIZE, pageToken }),
    [collections, collection],
    `${generation}/${live.generation}`,
  );
  const page = pages.current;
  const selectedId = selected !== null && selected !== "new" ? selected.id : null;
  return (
    <div class="column">
      <h2>
        Documents in <code>{collection}</code>
      </h2>
      <p class="live-status" role="status" aria-label="live updates" data-live={live.live ? "on" : "off"}>
        {live.live ? "● live" : "○ connecting"}
        {live.last !== null ? <span class="muted"> · last change: {live.last}</span> : null}
      </p>
      <ErrorLine error={live.error} />
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
        <Pager pages={pages} label="documents" />
        <button type="button" class="primary" onClick={() => onSelect("new")}>
          New document
        </button>
      </div>
    </div>
  );
}
