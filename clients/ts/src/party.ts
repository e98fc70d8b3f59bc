// HTTP side of party play: join a game with an invite URL, act in its rounds, and follow the
// table stream (GET /api/games/<id>/events), reconnecting with Last-Event-ID after a drop.
import { EventSourceParserStream } from "eventsource-parser/stream";
import { ClientError, errorFrom, type Out } from "./game.js";

/** One event of the table stream: its SSE name, id and JSON data. */
export interface TableEvent {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

/** What joining answers: the game, this seat, and the credential the seat acts with. */
export interface Seat {
  gameId: string;
  playerId: string;
  name: string;
  role: "host" | "player" | "spectator";
  credential: string;
}

/** A resolved round as the table stream told it. */
export interface RoundResult {
  turn_id: string;
  narration: string;
  tools: string[];
}

/** The character a player joins with, as POST /api/games takes it. */
export interface Character {
  name: string;
  class: string;
  [key: string]: unknown;
}

// A dropped stream is opened again after this long, at most this many times in a row.
const RECONNECT_MS = 1_000;
const RECONNECTS = 5;

/** The server and token of an invite URL (…/<token>, as the invite's ``url`` gives it). */
export function parseInvite(inviteUrl: string): { server: string; token: string } {
  let url: URL;
  try {
    url = new URL(inviteUrl);
  } catch {
    throw new ClientError(`not an invite URL: ${inviteUrl}`);
  }
  const token = decodeURIComponent(url.pathname.replace(/\/+$/, "").split("/").pop() ?? "");
  if (!token) throw new ClientError(`no invite token in ${inviteUrl}`);
  return { server: url.origin, token };
}

/** A seat at a party's table over HTTP; narration is written to `out` as it streams. */
export class PartyClient {
  private lastEventId: string | undefined;
  private stop = new AbortController();
  // The table stream read ahead into a queue (open() starts it), so a round that resolves
  // the moment this seat acts is never missed.
  private queue: TableEvent[] = [];
  private ended: unknown = undefined;
  private wake: (() => void) | undefined;
  private pump: Promise<void> | undefined;

  constructor(
    readonly server: string,
    readonly seat: Seat,
    private readonly out: Out,
    private readonly roundTimeoutMs = 300_000,
  ) {}

  /** Take a seat with an invite URL: a player brings a character, a spectator a name. */
  static async join(
    inviteUrl: string,
    who: { character: Character } | { name: string },
    out: Out,
  ): Promise<PartyClient> {
    const { server, token } = parseInvite(inviteUrl);
    const resp = await send(server, `/api/invites/${encodeURIComponent(token)}/join`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(who),
      signal: AbortSignal.timeout(30_000),
    });
    if (resp.status !== 201) throw await errorFrom(resp);
    const joined = (await resp.json()) as {
      game_id: string;
      credential: string;
      player: { id: string; name: string; role: Seat["role"] };
    };
    return new PartyClient(
      server,
      {
        gameId: String(joined.game_id),
        playerId: String(joined.player.id),
        name: String(joined.player.name),
        role: joined.player.role,
        credential: String(joined.credential),
      },
      out,
    );
  }

  /** Send (or replace) this seat's action for the open round; `parent` goes in
   * x-bt-parent-span so the server's action span joins the client's trace. */
  async act(message: string, parent?: string): Promise<{ round: number; waiting_for: string[] }> {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (parent) headers["x-bt-parent-span"] = parent;
    const resp = await this.call("/actions", {
      method: "POST",
      headers,
      body: JSON.stringify({ message }),
      signal: AbortSignal.timeout(30_000),
    });
    if (resp.status !== 202) throw await errorFrom(resp);
    return (await resp.json()) as { round: number; waiting_for: string[] };
  }

  /** Host only: resolve round `n` now (those who did not act pass). */
  async resolve(n: number, parent?: string): Promise<void> {
    const headers: Record<string, string> = {};
    if (parent) headers["x-bt-parent-span"] = parent;
    const resp = await this.call(`/rounds/${n}/resolve`, {
      method: "POST",
      headers,
      signal: AbortSignal.timeout(30_000),
    });
    if (resp.status !== 202) throw await errorFrom(resp);
    await resp.body?.cancel();
  }

  /** The table stream's events, in order, for as long as it is read; a dropped connection is
   * opened again with Last-Event-ID, so nothing is missed or told twice. */
  async *follow(): AsyncGenerator<TableEvent> {
    let drops = 0;
    for (;;) {
      const headers: Record<string, string> = { Accept: "text/event-stream" };
      if (this.lastEventId !== undefined) headers["Last-Event-ID"] = this.lastEventId;
      let resp: Response;
      try {
        resp = await this.call("/events", { headers, signal: this.stop.signal });
      } catch (exc) {
        if (this.stop.signal.aborted) return;
        if (++drops > RECONNECTS) throw exc;
        await pause(RECONNECT_MS);
        continue;
      }
      if (resp.status !== 200 || resp.body === null) throw await errorFrom(resp);
      const frames = resp.body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(new EventSourceParserStream());
      try {
        for await (const frame of frames) {
          drops = 0;
          if (frame.id !== undefined) this.lastEventId = frame.id;
          let data: Record<string, unknown>;
          try {
            data = JSON.parse(frame.data || "{}") as Record<string, unknown>;
          } catch {
            continue; // a malformed frame is skipped rather than ending the table
          }
          yield { event: frame.event ?? "message", id: frame.id, data };
        }
      } catch (exc) {
        if (this.stop.signal.aborted) return;
        if (++drops > RECONNECTS) throw new ClientError(`the table stream broke (${String(exc)})`);
      }
      if (this.stop.signal.aborted) return;
      await pause(RECONNECT_MS); // the server closed the stream: open it again where it left
    }
  }

  /** Start following the table stream (before acting: the round's events are then read). */
  open(): void {
    this.pump ??= (async () => {
      try {
        for await (const event of this.follow()) {
          this.queue.push(event);
          this.wake?.();
        }
        this.ended = new ClientError("the table stream ended before the round was told");
      } catch (exc) {
        this.ended = exc;
      }
      this.wake?.();
    })();
  }

  /** The next event of the table stream (open() first), waiting until `deadline`. */
  async nextEvent(deadline: number): Promise<TableEvent> {
    this.open();
    for (;;) {
      const event = this.queue.shift();
      if (event !== undefined) return event;
      if (this.ended !== undefined) throw this.ended;
      await withDeadline(new Promise<void>((resolve) => (this.wake = resolve)), deadline);
    }
  }

  /** Wait for the next round's narration on the table stream, writing its text as it
   * streams; resolves at turn.completed, throws at a turn's error. */
  async nextRound(): Promise<RoundResult> {
    const tools: string[] = [];
    let started = false;
    const deadline = Date.now() + this.roundTimeoutMs;
    for (;;) {
      const { event, data } = await this.nextEvent(deadline);
      if (event === "turn.started") {
        started = true;
      } else if (event === "text" && started) {
        this.out.write(String(data.delta ?? ""));
      } else if (event === "tool" && started) {
        tools.push(String(data.name));
      } else if (event === "error" && started) {
        throw new ClientError(`${String(data.code)}: ${String(data.message)}`);
      } else if (event === "turn.completed" && started) {
        this.out.write("\n\n");
        return { turn_id: String(data.turn_id), narration: String(data.narration ?? ""), tools };
      }
    }
  }

  /** Stop following the table. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.pump;
  }

  /** A request on this game's API path with the seat's bearer credential. */
  private call(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("Authorization", `Bearer ${this.seat.credential}`);
    const url = `/api/games/${encodeURIComponent(this.seat.gameId)}${path}`;
    return send(this.server, url, { ...init, headers });
  }
}

/** fetch, with a network failure turned into a one-line ClientError (an abort passes). */
async function send(server: string, path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(`${server}${path}`, init);
  } catch (exc) {
    if (exc instanceof Error && exc.name === "AbortError") throw exc;
    const code = (exc as { cause?: { code?: unknown } }).cause?.code;
    const why = typeof code === "string" ? code : exc instanceof Error ? exc.message : String(exc);
    throw new ClientError(`cannot reach the server at ${server} (${why})`);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The promise, or a ClientError once `deadline` (epoch ms) has passed. */
async function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ClientError("the round was not told in time")),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
