/**
 * The database the console works in: `default`, or one the deployment's
 * databases list names (AdminService.ListDatabases, one page of up to
 * DATABASES_LISTED_MAX), or any id typed in. Every call the panels make
 * then carries the `impossibledb-database` header (connection.ts).
 */
import { useEffect, useState } from "preact/hooks";
import { useClients } from "./connection.js";

/** The most databases the picker offers (the rest can be typed in). */
export const DATABASES_LISTED_MAX = 100;

/** The picker: a text field with the known databases as suggestions. */
export function DatabasePicker({ value, onChange }: { value: string; onChange: (database: string) => void }) {
  const { admin } = useClients();
  const [known, setKnown] = useState<string[]>(["default"]);
  useEffect(() => {
    let current = true;
    // Listing needs an admin key when auth is on; without one the picker
    // still takes a typed id.
    admin.listDatabases({ pageSize: DATABASES_LISTED_MAX }).then(
      (res) => current && setKnown(["default", ...res.databases.map((d) => d.name.replace(/^databases\//, "")).filter((id) => id !== "default")]),
      () => {},
    );
    return () => {
      current = false;
    };
  }, [admin]);
  return (
    <label class="database">
      Database{" "}
      <input
        list="databases"
        aria-label="database"
        value={value}
        onChange={(e) => onChange((e.target as HTMLInputElement).value.trim() || "default")}
      />
      <datalist id="databases">
        {known.map((id) => (
          <option key={id} value={id} />
        ))}
      </datalist>
    </label>
  );
}
