// An express-session app on connect-redis: the Node half of the interop test.
// Configuration through the environment: PORT, REDIS_URL, SECRETS (a JSON array, first signs).
import express from "express";
import session from "express-session";
import { RedisStore } from "connect-redis";
import { createClient } from "redis";

const client = createClient({ url: process.env.REDIS_URL });
await client.connect();

const app = express();
app.use(
  session({
    store: new RedisStore({ client, prefix: "sess:" }),
    secret: JSON.parse(process.env.SECRETS),
    name: "connect.sid",
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: 3600 * 1000, httpOnly: true, sameSite: "lax", secure: false },
  }),
);

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
