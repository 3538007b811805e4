// connect-pg-simple used directly, as express-session uses it: the Node half of
// stores/tests/connect_pg.rs. One operation per run, its result printed as one JSON line.
//
//   node pg_store_check.mjs set <sid> <expires ISO | null> <user>   -> "ok"
//   node pg_store_check.mjs get <sid>                              -> the session, or null
//   node pg_store_check.mjs touch <sid> <expires ISO>              -> "ok"
//   node pg_store_check.mjs destroy <sid>                          -> "ok"
//
// Environment: DATABASE_URL; TABLE_NAME (default "session"); SCHEMA_NAME (optional);
// PG_TIMEZONE (optional: the connection's TimeZone, as a server configured with it would
// give; by default the server's).
import session from "express-session";
import connectPgSimple from "connect-pg-simple";

const PgStore = connectPgSimple(session);

const conString = process.env.DATABASE_URL;
const zone = process.env.PG_TIMEZONE;
const store = new PgStore({
  ...(zone ? { conObject: { connectionString: conString, options: `-c TimeZone=${zone}` } } : { conString }),
  tableName: process.env.TABLE_NAME || "session",
  ...(process.env.SCHEMA_NAME ? { schemaName: process.env.SCHEMA_NAME } : {}),
  // The test prunes from Rust; no timer here.
  pruneSessionInterval: false,
});

// The session object express-session hands its store: the cookie beside the user's fields.
const sess = (expires, user) => ({
  cookie: {
    originalMaxAge: expires === "null" ? null : 3600000,
    expires: expires === "null" ? null : expires,
    httpOnly: true,
    path: "/",
  },
  ...(user === undefined ? {} : { user }),
});

const call = (method, ...args) =>
  new Promise((resolve, reject) =>
    store[method](...args, (err, value) => (err ? reject(err) : resolve(value))),
  );

const [op, sid, ...rest] = process.argv.slice(2);
try {
  let out = "ok";
  switch (op) {
    case "set":
      await call("set", sid, sess(rest[0], rest[1]));
      break;
    case "get":
      out = (await call("get", sid)) ?? null;
      break;
    case "touch":
      await call("touch", sid, sess(rest[0]));
      break;
    case "destroy":
      await call("destroy", sid);
      break;
    default:
      throw new Error(`unknown operation ${op}`);
  }
  console.log(JSON.stringify(out));
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await store.close();
}
