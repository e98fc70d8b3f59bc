// Command-line client that continues its trace on the server (TypeScript twin of
// game_master/client.py).
//
// Usage:
//   npx tsx src/client.ts "look around" "take the bread"
//   npx tsx src/client.ts --interactive
//   npx tsx src/client.ts --server http://127.0.0.1:8000 --game GAME_ID "go west"
//   npx tsx src/client.ts --invite http://127.0.0.1:8000/join/TOKEN "I keep watch"
//   npx tsx src/client.ts --invite URL --spectator --name Sam --watch 2
//
// With --invite the client takes a seat at a party's table (a player with --name/--class,
// or a spectator), then each message is this seat's action for a round; the round's
// narration is read from the table stream, which it follows from before the first action.
//
// With BRAINTRUST_API_KEY set, the conversation is one root span `client_conversation`;
// each message is a `client_turn` span exported in the `x-bt-parent-span` header, so the
// server's `turn` span (and the spans under it) join the client's trace. The root span gets
// the aggregated turns at the end. BRAINTRUST_API_URL / BRAINTRUST_APP_URL /
// BRAINTRUST_ORG_NAME / BRAINTRUST_PROJECT are read as the Python side reads them.
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { initLogger, type Logger, type Span } from "braintrust";
import { ClientError, GameClient, type TurnResult } from "./game.js";
import { PartyClient } from "./party.js";

const DEFAULT_SERVER = "http://127.0.0.1:5000";
const DEFAULT_PROJECT = "game-master";
// Telemetry must never hold the player: give up on the final upload after this long.
const FLUSH_DEADLINE_MS = 10_000;

const USAGE = `usage: client.ts [-h] [--interactive] [--server URL] [--game ID] [--name NAME]
                 [--class CLASS] [--invite URL [--spectator] [--watch N]] [messages ...]

Play Game Master from the terminal.

  messages          turns to play, in order
  -i, --interactive then read lines ("quit" or end of input stops)
  --server URL      the Game Master URL (default ${DEFAULT_SERVER})
  --game ID         continue this game id
  --name NAME       character name for a new game (default Wren)
  --class CLASS     character class (default rogue)
  --invite URL      join a party's table with this invite link; messages are actions
  --spectator       join the table as a spectator (with --name), who only reads
  --watch N         after the messages, print the next N rounds told at the table`;

interface Options {
  messages: string[];
  interactive: boolean;
  server: string;
  game?: string;
  name: string;
  cls: string;
  invite?: string;
  spectator: boolean;
  watch: number;
}

interface Turn extends Omit<TurnResult, "turn_id"> {
  message: string;
  turn_id: string;
}

/** Parse the command line (node's util.parseArgs); an exit code after usage or an error. */
function parseOptions(argv: string[]): Options | number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        interactive: { type: "boolean", short: "i", default: false },
        server: { type: "string", default: DEFAULT_SERVER },
        game: { type: "string" },
        name: { type: "string", default: "Wren" },
        class: { type: "string", default: "rogue" },
        invite: { type: "string" },
        spectator: { type: "boolean", default: false },
        watch: { type: "string", default: "0" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (exc) {
    console.error(`${USAGE}\nerror: ${(exc as Error).message}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const watch = Number(values.watch);
  if (!Number.isInteger(watch) || watch < 0) {
    console.error(`${USAGE}\nerror: --watch takes a number of rounds`);
    return 2;
  }
  if (values.spectator && !values.invite) {
    console.error(`${USAGE}\nerror: --spectator needs --invite`);
    return 2;
  }
  if (positionals.length === 0 && !values.interactive && watch === 0) {
    console.error(`${USAGE}\nerror: give messages to play, or --interactive`);
    return 2;
  }
  return {
    messages: positionals,
    interactive: values.interactive,
    server: values.server,
    game: values.game,
    name: values.name,
    cls: values.class,
    invite: values.invite,
    spectator: values.spectator,
    watch,
  };
}

/** A Braintrust logger when BRAINTRUST_API_KEY is set; otherwise the client plays untraced. */
function setupTracing(): Logger<true> | undefined {
  const apiKey = process.env.BRAINTRUST_API_KEY?.trim();
  if (!apiKey) return undefined;
  const projectName = process.env.BRAINTRUST_PROJECT?.trim() || DEFAULT_PROJECT;
  // appUrl/orgName/API URL come from BRAINTRUST_APP_URL, BRAINTRUST_ORG_NAME and
  // BRAINTRUST_API_URL, which the SDK reads itself at login.
  return initLogger({ projectName, apiKey, asyncFlush: true });
}

/** Upload what is queued, but never wait longer than FLUSH_DEADLINE_MS. */
async function flushTracing(logger: Logger<true> | undefined): Promise<void> {
  if (logger === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      console.error("warning: Braintrust did not take the trace in time; it may be incomplete");
      resolve();
    }, FLUSH_DEADLINE_MS);
  });
  try {
    await Promise.race([logger.flush(), deadline]);
  } catch (exc) {
    console.error(`warning: could not send the trace to Braintrust (${describe(exc)})`);
  } finally {
    clearTimeout(timer);
  }
}

/** The command-line messages, then typed lines in interactive mode. */
async function* messages(opts: Options): AsyncGenerator<string> {
  yield* opts.messages;
  if (!opts.interactive) return;
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    process.stdout.write("> ");
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === "quit" || line === "exit") return;
      if (line) yield line;
      process.stdout.write("> ");
    }
  } finally {
    rl.close();
  }
}

/** One line for any failure: ClientError's own text, or the error's message. */
function describe(exc: unknown): string {
  if (exc instanceof ClientError) return exc.message;
  if (exc instanceof Error) {
    return exc.name === "TimeoutError" ? "the turn timed out" : exc.message;
  }
  return String(exc);
}

/** Create or continue a game and play the given (or typed) messages; the exit code. */
async function run(opts: Options): Promise<number> {
  if (opts.invite) return runParty(opts, opts.invite);
  const logger = setupTracing();
  const client = new GameClient(opts.server, process.stdout);
  let gameId: string;
  try {
    if (opts.game) {
      gameId = opts.game;
      await client.checkGame(gameId);
    } else {
      gameId = await client.newGame(opts.name, opts.cls);
    }
  } catch (exc) {
    console.error(`error: ${describe(exc)}`);
    return 1;
  }
  console.error(`game ${gameId} on ${client.server}\n`);
  const turns: Turn[] = [];
  let status = 0;

  // One message as a client_turn span (when traced) whose export is the turn's parent.
  const playOne = async (message: string, span?: Span): Promise<boolean> => {
    const parent = span ? await span.export() : undefined;
    try {
      const done = await client.play(gameId, message, parent);
      turns.push({ message, narration: done.narration, tools: done.tools, turn_id: done.turn_id });
      span?.log({ output: done.narration, metadata: { turn_id: done.turn_id } });
      return true;
    } catch (exc) {
      console.error(`error: ${describe(exc)}`);
      span?.log({ error: describe(exc) });
      return false;
    }
  };

  const conversation = async (root?: Span): Promise<void> => {
    for await (const message of messages(opts)) {
      const ok = root
        ? await root.traced((span) => playOne(message, span), {
            name: "client_turn",
            event: { input: message },
          })
        : await playOne(message);
      if (!ok) {
        status = 1;
        break;
      }
    }
    root?.log({
      input: { messages: turns.map((t) => t.message) },
      output: { game_id: gameId, turns, total_turns: turns.length },
    });
  };

  if (logger) {
    await logger.traced(conversation, {
      name: "client_conversation",
      type: "task",
      event: { metadata: { game_id: gameId, server: client.server } },
    });
  } else {
    await conversation();
  }
  await flushTracing(logger);
  return status;
}

/** Join a party's table with an invite and act in its rounds (or watch); the exit code. */
async function runParty(opts: Options, invite: string): Promise<number> {
  const logger = setupTracing();
  let party: PartyClient;
  try {
    party = await PartyClient.join(
      invite,
      opts.spectator ? { name: opts.name } : { character: { name: opts.name, class: opts.cls } },
      process.stdout,
    );
  } catch (exc) {
    console.error(`error: ${describe(exc)}`);
    return 1;
  }
  const { gameId, role, playerId } = party.seat;
  console.error(`seated at game ${gameId} on ${party.server} as ${role} ${opts.name}\n`);
  party.open(); // follow the table before acting: a round our action completes is not missed
  const rounds: Turn[] = [];
  let status = 0;

  // One action as a client_turn span (when traced) whose export is the action's parent.
  const actOne = async (message: string, span?: Span): Promise<boolean> => {
    const parent = span ? await span.export() : undefined;
    try {
      if (message) await party.act(message, parent);
      const told = await party.nextRound();
      rounds.push({ message, narration: told.narration, tools: told.tools, turn_id: told.turn_id });
      span?.log({ output: told.narration, metadata: { turn_id: told.turn_id } });
      return true;
    } catch (exc) {
      console.error(`error: ${describe(exc)}`);
      span?.log({ error: describe(exc) });
      return false;
    }
  };

  const table = async (root?: Span): Promise<void> => {
    const steps: AsyncIterable<string> = (async function* () {
      yield* messages(opts);
      for (let i = 0; i < opts.watch; i++) yield ""; // "": no action, read the next round
    })();
    for await (const message of steps) {
      if (message && role === "spectator") {
        console.error("error: a spectator reads and never acts");
        status = 1;
        break;
      }
      const ok = root
        ? await root.traced((span) => actOne(message, span), {
            name: "client_turn",
            event: { input: message },
          })
        : await actOne(message);
      if (!ok) {
        status = 1;
        break;
      }
    }
    root?.log({
      input: { messages: rounds.map((t) => t.message) },
      output: { game_id: gameId, player_id: playerId, turns: rounds, total_turns: rounds.length },
    });
  };

  if (logger) {
    await logger.traced(table, {
      name: "client_conversation",
      type: "task",
      event: { metadata: { game_id: gameId, player_id: playerId, server: party.server } },
    });
  } else {
    await table();
  }
  await party.close();
  await flushTracing(logger);
  return status;
}

/** Load ./.env if there is one (never overriding the environment), parse arguments, run. */
async function main(): Promise<number> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  const opts = parseOptions(process.argv.slice(2));
  return typeof opts === "number" ? opts : run(opts);
}

// Exit explicitly: the trace is flushed by now, and nothing else should keep the process up.
main().then(
  (code) => process.exit(code),
  (exc: unknown) => {
    console.error(`error: ${describe(exc)}`);
    process.exit(1);
  },
);
