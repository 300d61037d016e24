/**
 * The console's frame: a header naming the server, tabs for the panels, and
 * the panel the URL's hash names (`#browse`, `#query`, `#shards`,
 * `#metrics`), so each panel has a link and the Worker serves one page;
 * the API key and the database the calls carry.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { ClientsContext, createConsoleClients } from "./connection.js";
import { DatabasePicker } from "./database-picker.js";
import { BrowsePanel } from "./panels/browse.js";
import { MetricsPanel } from "./panels/metrics.js";
import { QueryPanel } from "./panels/query.js";
import { ShardsPanel } from "./panels/shards.js";

const PANELS = [
  { hash: "browse", title: "Browse", Panel: BrowsePanel },
  { hash: "query", title: "Query", Panel: QueryPanel },
  { hash: "shards", title: "Shards", Panel: ShardsPanel },
  { hash: "metrics", title: "Metrics", Panel: MetricsPanel },
] as const;

/** Where the console keeps the API key typed into it, per tab. */
const API_KEY_STORAGE = "impossibledb.apiKey";
/** Where the console keeps the database chosen in it, per tab. */
const DATABASE_STORAGE = "impossibledb.database";

function panelFromHash(): (typeof PANELS)[number] {
  const hash = location.hash.replace(/^#/, "");
  return PANELS.find((p) => p.hash === hash) ?? PANELS[0];
}

/** The whole console, talking to the Worker that served it. */
export function App() {
  // The API key lives in this tab's sessionStorage only: it is gone when the tab closes.
  const [apiKey, setApiKey] = useState(() => sessionStorage.getItem(API_KEY_STORAGE) ?? "");
  const [database, setDatabase] = useState(() => sessionStorage.getItem(DATABASE_STORAGE) ?? "default");
  const clients = useMemo(
    () => createConsoleClients({ baseUrl: location.origin, apiKey, database: database === "default" ? undefined : database }),
    [apiKey, database],
  );
  const [panel, setPanel] = useState(panelFromHash);
  useEffect(() => {
    const follow = () => setPanel(panelFromHash());
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  return (
    <ClientsContext.Provider value={clients}>
      <header class="top">
        <h1>ImpossibleDB</h1>
        <nav aria-label="panels">
          {PANELS.map((p) => (
            <a key={p.hash} href={`#${p.hash}`} aria-current={p === panel ? "page" : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <span class="muted server">{clients.options.baseUrl}</span>
        <DatabasePicker
          value={database}
          onChange={(id) => {
            sessionStorage.setItem(DATABASE_STORAGE, id);
            setDatabase(id);
          }}
        />
        <input
          class="api-key"
          type="password"
          aria-label="API key"
          placeholder="API key (when auth is required)"
          autocomplete="off"
          value={apiKey}
          onChange={(e) => {
            const key = (e.target as HTMLInputElement).value.trim();
            if (key === "") sessionStorage.removeItem(API_KEY_STORAGE);
            else sessionStorage.setItem(API_KEY_STORAGE, key);
            setApiKey(key);
          }}
        />
      </header>
      <main>
        <panel.Panel />
      </main>
    </ClientsContext.Provider>
  );
}
