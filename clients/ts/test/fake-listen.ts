/**
 * A fake QueryService.Listen for the SDK's listener tests, served in memory
 * by createRouterTransport. It keeps one collection and a log of commits;
 * a resume token is the number of commits a listener has. Commits can be
 * marked to be sent without a token (as the server does while an earlier
 * transaction is incomplete), or to break the stream right after they are
 * sent (once), so tests decide exactly where a stream breaks.
 */
import { create, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { DocumentSchema, type Document } from "../src/gen/impossibledb/v1/document_pb.js";
import {
  DocumentChange_Type,
  DocumentChangeSchema,
  type DocumentChange,
  type ListenRequest,
  type ListenResponse,
} from "../src/gen/impossibledb/v1/query_service_pb.js";

/** How a commit is sent. */
export interface CommitOptions {
  /** Send it without a resume token (the next commit's message carries one). */
  withholdToken?: boolean;
  /** Break the stream with this code right after sending it, the first time it is sent. */
  breakAfter?: Code | "end";
  /** The transaction id its changes carry. */
  transactionId?: string;
}

interface Commit {
  changes: DocumentChange[];
  options: CommitOptions;
}

/** The fake server's state and its Listen implementation. */
export class FakeListenServer {
  readonly collection = "c";
  readonly docs = new Map<string, Document>();
  readonly log: Commit[] = [];
  /** Tokens below this answer OUT_OF_RANGE (the change log was trimmed). */
  retainedFrom = 0;
  /** Resume tokens of every Listen call, in order ("" for a fresh one). */
  readonly opened: string[] = [];
  /** Streams whose signal aborted: the client cancelled them. */
  cancelled = 0;
  /** Codes to fail the next Listen calls with, before any message. */
  failOpen: Code[] = [];
  /** Codes to fail the next resumed Listen calls with, right after their first message (which repeats the token). */
  failAfterResume: Code[] = [];
  private wake: (() => void)[] = [];
  private version = 0n;

  /** Applies one commit: sets (adds or modifies) or removes documents by id; `fields` is the typed form the server adds for a typed document. */
  commit(writes: { id: string; data?: JsonObject | null; fields?: MessageInitShape<typeof DocumentSchema>["fields"] }[], options: CommitOptions = {}): void {
    const changes = writes.map(({ id, data, fields }) => {
      const before = this.docs.get(id);
      if (data === null || data === undefined) {
        if (before === undefined) throw new Error(`fake: ${id} does not exist`);
        this.docs.delete(id);
        return this.change(DocumentChange_Type.REMOVED, before, options);
      }
      this.version += 1n;
      const doc = create(DocumentSchema, { collection: this.collection, id, data, fields, version: this.version });
      this.docs.set(id, doc);
      return this.change(before === undefined ? DocumentChange_Type.ADDED : DocumentChange_Type.MODIFIED, doc, options);
    });
    this.log.push({ changes, options });
    for (const wake of this.wake.splice(0)) wake();
  }

  /** The current token: every commit so far. */
  get head(): string {
    return String(this.log.length);
  }

  /** Listen over the fake state. */
  async *listen(req: ListenRequest, ctx: HandlerContext): AsyncGenerator<ListenResponse> {
    this.opened.push(req.resumeToken);
    ctx.signal.addEventListener("abort", () => (this.cancelled += 1), { once: true });
    const code = this.failOpen.shift();
    if (code !== undefined) throw new ConnectError("fake: failing to open", code);
    let position: number;
    if (req.resumeToken === "") {
      // The snapshot in pieces of two documents, only the last with a token.
      const docs = [...this.docs.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      position = this.log.length;
      for (let i = 0; i < docs.length || i === 0; i += 2) {
        const last = i + 2 >= docs.length;
        const changes = docs.slice(i, i + 2).map((d) => this.change(DocumentChange_Type.ADDED, d, {}));
        yield response(changes, last, last ? String(position) : "");
      }
    } else {
      position = Number(req.resumeToken);
      if (position < this.retainedFrom) throw new ConnectError("fake: resume_token is older than the change log", Code.OutOfRange);
      yield response([], true, req.resumeToken);
      const after = this.failAfterResume.shift();
      if (after !== undefined) throw new ConnectError("fake: failing right after resuming", after);
    }
    for (;;) {
      while (position >= this.log.length) {
        if (ctx.signal.aborted) return;
        await new Promise<void>((resolve) => {
          this.wake.push(resolve);
          ctx.signal.addEventListener("abort", () => resolve(), { once: true });
        });
      }
      const commit = this.log[position]!;
      position += 1;
      yield response(commit.changes, false, commit.options.withholdToken === true ? "" : String(position));
      const breakAfter = commit.options.breakAfter;
      if (breakAfter !== undefined) {
        delete commit.options.breakAfter;
        if (breakAfter === "end") return;
        throw new ConnectError("fake: stream broken", breakAfter);
      }
    }
  }

  private change(type: DocumentChange_Type, document: Document, options: CommitOptions): DocumentChange {
    return create(DocumentChangeSchema, { type, document, transactionId: options.transactionId ?? "" });
  }
}

function response(changes: DocumentChange[], current: boolean, resumeToken: string): ListenResponse {
  return { $typeName: "impossibledb.v1.ListenResponse", changes, current, resumeToken };
}
