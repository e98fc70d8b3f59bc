// HTTP side of the client: create or check a game, play a turn and stream its narration.
import { EventSourceParserStream } from "eventsource-parser/stream";

/** The server answered an error, broke the stream, or could not be reached. */
export class ClientError extends Error {}

/** What one finished turn gives back (turn.completed's data plus the tools used). */
export interface TurnResult {
  turn_id: string;
  narration: string;
  tools: string[];
}

interface ErrorBody {
  error?: { code?: string; message?: string };
}

/** Writable the narration streams to (process.stdout, or a buffer in tests). */
export interface Out {
  write(chunk: string): unknown;
}

/** Plays turns over HTTP; narration is written to `out` as it streams. */
export class GameClient {
  readonly server: string;

  constructor(
    server: string,
    private readonly out: Out,
    private readonly turnTimeoutMs = 300_000,
  ) {
    this.server = server.replace(/\/+$/, "");
  }

  /** Create a game for a new character; returns its id. */
  async newGame(name: string, cls: string): Promise<string> {
    const resp = await this.request("/api/games", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ character: { name, class: cls } }),
      signal: AbortSignal.timeout(30_000),
    });
    if (resp.status !== 201) throw await errorFrom(resp);
    const game = (await resp.json()) as { id: string };
    return String(game.id);
  }

  /** Make sure the game exists (throws ClientError if not). */
  async checkGame(gameId: string): Promise<void> {
    const resp = await this.request(`/api/games/${encodeURIComponent(gameId)}`, {
      signal: AbortSignal.timeout(30_000),
    });
    if (resp.status !== 200) throw await errorFrom(resp);
    await resp.body?.cancel();
  }

  /** Play one turn, streaming narration to `out`; `parent` goes in x-bt-parent-span. */
  async play(gameId: string, message: string, parent?: string): Promise<TurnResult> {
    const headers: Record<string, string> = {
      Accept: "text/event-stream",
      "Content-Type": "application/json",
    };
    if (parent) headers["x-bt-parent-span"] = parent;
    const resp = await this.request(`/api/games/${encodeURIComponent(gameId)}/turns`, {
      method: "POST",
      headers,
      body: JSON.stringify({ message }),
      signal: AbortSignal.timeout(this.turnTimeoutMs),
    });
    if (resp.status !== 200 || resp.body === null) throw await errorFrom(resp);
    const tools: string[] = [];
    const events = resp.body
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream());
    for await (const event of events) {
      const data = JSON.parse(event.data || "{}") as Record<string, unknown>;
      if (event.event === "text") {
        this.out.write(String(data.delta ?? ""));
      } else if (event.event === "tool") {
        tools.push(String(data.name));
      } else if (event.event === "error") {
        throw new ClientError(`${String(data.code)}: ${String(data.message)}`);
      } else if (event.event === "turn.completed") {
        this.out.write("\n\n");
        return {
          turn_id: String(data.turn_id),
          narration: String(data.narration ?? ""),
          tools,
        };
      }
    }
    throw new ClientError("the stream ended before the turn completed");
  }

  /** fetch, with a network failure turned into a one-line ClientError. */
  private async request(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.server}${path}`, init);
    } catch (exc) {
      throw new ClientError(`cannot reach the server at ${this.server} (${reason(exc)})`);
    }
  }
}

/** A ClientError from an error answer in the contract's JSON (or its first bytes). */
export async function errorFrom(resp: Response): Promise<ClientError> {
  const text = await resp.text();
  let line: string;
  try {
    const err = (JSON.parse(text) as ErrorBody).error;
    if (!err?.code) throw new Error("not the contract's error shape");
    line = `${resp.status} ${err.code}: ${err.message ?? ""}`;
  } catch {
    line = `${resp.status}: ${text.slice(0, 200)}`;
  }
  if (resp.status === 409) {
    line += " (another turn of this game is still being played; try again when it ends)";
  }
  const retryAfter = resp.headers.get("Retry-After");
  if (resp.status === 429 || retryAfter) {
    line += retryAfter ? ` (retry after ${retryAfter} s)` : " (slow down and retry)";
  }
  return new ClientError(line);
}

/** The innermost cause of a fetch failure, e.g. "ECONNREFUSED" or "timed out". */
function reason(exc: unknown): string {
  if (exc instanceof Error && exc.name === "TimeoutError") return "timed out";
  let cause: unknown = exc;
  while (cause instanceof Error && cause.cause !== undefined) cause = cause.cause;
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  return cause instanceof Error ? cause.message : String(cause);
}
