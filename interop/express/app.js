// An express-session app: the Node half of the interop tests.
// Configuration through the environment: PORT; STORE, `redis` (connect-redis, REDIS_URL) or
// `pg` (connect-pg-simple, DATABASE_URL, TABLE); SECRETS (a JSON array, first signs);
// OPTIONS (JSON, express-session's options beside `store` and `secret`; by default the ones
// the session-sharing test uses).
import express from "express";
import session from "express-session";
import { RedisStore } from "connect-redis";
import { createClient } from "redis";
import connectPgSimple from "connect-pg-simple";

async function store() {
  if (process.env.STORE === "pg") {
    const PgStore = connectPgSimple(session);
    return new PgStore({
      conString: process.env.DATABASE_URL,
      tableName: process.env.TABLE ?? "session",
      createTableIfMissing: true,
    });
  }
  const client = createClient({ url: process.env.REDIS_URL });
  await client.connect();
  return new RedisStore({ client, prefix: "sess:" });
}

const options = process.env.OPTIONS
  ? JSON.parse(process.env.OPTIONS)
  : {
      name: "connect.sid",
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 3600 * 1000, httpOnly: true, sameSite: "lax", secure: false },
    };

const app = express();
app.use(session({ ...options, store: await store(), secret: JSON.parse(process.env.SECRETS) }));

const me = (req, res) =>
  res.json({ node: true, user: req.session.user ?? null, visits: req.session.visits ?? 0 });

app.post("/login/:user", (req, res, next) =>
  req.session.regenerate((err) => {
    if (err) return next(err);
    req.session.user = req.params.user;
    req.session.visits = 0;
    me(req, res);
  }),
);
app.post("/visit", (req, res) => {
  req.session.visits = (req.session.visits ?? 0) + 1;
  me(req, res);
});
app.get("/me", me);
app.post("/logout", (req, res, next) =>
  req.session.destroy((err) => (err ? next(err) : res.json({ node: true, user: null, visits: 0 }))),
);

const server = app.listen(Number(process.env.PORT), "127.0.0.1", () =>
  console.log(`listening ${server.address().port}`),
);
