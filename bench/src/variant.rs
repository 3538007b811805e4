//! The servers that are compared and the scenarios each one runs.

/// The web framework a server is built on; ratios are taken to the bare server of the same
/// framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framework {
    /// axum 0.8 on hyper.
    Axum,
    /// actix-web 4.
    Actix,
    /// Rocket 0.5.
    Rocket,
    /// warp 0.4.
    Warp,
    /// poem 3.1.
    Poem,
    /// salvo 1.1.
    Salvo,
}

impl Framework {
    /// Every framework, in the order of the tables.
    pub const ALL: [Framework; 6] = [
        Self::Axum,
        Self::Actix,
        Self::Rocket,
        Self::Warp,
        Self::Poem,
        Self::Salvo,
    ];

    /// The framework's name, as in variant names.
    ///
    /// ```
    /// assert_eq!(session_bench::Framework::Actix.name(), "actix");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Axum => "axum",
            Self::Actix => "actix",
            Self::Rocket => "rocket",
            Self::Warp => "warp",
            Self::Poem => "poem",
            Self::Salvo => "salvo",
        }
    }
}

/// The session layer in front of the handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// No session layer: the denominator of every ratio.
    Bare,
    /// Ours with `MemoryStore`.
    OursMemory,
    /// Ours with `RedisStore`.
    OursRedis,
    /// Ours with `RedisStore` on the application's own redis-rs `ConnectionManager` (axum
    /// only): against `OursRedis` (the store connecting from its URL, on a
    /// `ConnectionManager` of its own), what handing over the client costs.
    OursRedisClient,
    /// Ours with `RedisStore` behind the server-invalidated `CachedStore` (axum only): a
    /// read answered from process memory, against `OursMemory` in the same run.
    OursRedisCached,
    /// Ours with `MemoryStore`, its metrics (feature `metrics`) recorded by a Prometheus
    /// recorder (axum only): against `OursMemory`, in the same build and run, what recording
    /// them costs.
    OursMetrics,
    /// tower-sessions with its `MemoryStore` (axum only).
    TowerSessionsMemory,
    /// tower-sessions with `tower-sessions-redis-store` (fred) (axum only).
    TowerSessionsRedis,
    /// The least work a signed-cookie layer with an in-memory store can do (axum only; see
    /// `servers/floor.rs`): what the targets' floor is measured by.
    Floor,
    /// actix-session with its `CookieSessionStore` (actix-web only).
    ActixSessionCookie,
    /// actix-session with its `RedisSessionStore` (actix-web only).
    ActixSessionRedis,
}

impl Layer {
    /// Whether the layer keeps sessions in Redis.
    ///
    /// ```
    /// assert!(session_bench::Layer::OursRedis.uses_redis());
    /// ```
    pub fn uses_redis(self) -> bool {
        matches!(
            self,
            Self::OursRedis
                | Self::OursRedisClient
                | Self::OursRedisCached
                | Self::TowerSessionsRedis
                | Self::ActixSessionRedis
        )
    }

    /// The scenarios this layer is measured in: bare servers once (all routes answer the
    /// same), Redis layers in `rw` and `read`, the others in all four.
    ///
    /// ```
    /// use session_bench::{Layer, Scenario};
    /// assert_eq!(Layer::Bare.scenarios(), &[Scenario::Bare]);
    /// assert_eq!(Layer::OursRedis.scenarios(), &[Scenario::Read, Scenario::Rw]);
    /// ```
    pub fn scenarios(self) -> &'static [Scenario] {
        match self {
            Self::Bare => &[Scenario::Bare],
            Self::OursRedis
            | Self::OursRedisClient
            | Self::OursRedisCached
            | Self::TowerSessionsRedis
            | Self::ActixSessionRedis => &[Scenario::Read, Scenario::Rw],
            _ => &Scenario::WITH_SESSION,
        }
    }
}

/// What the load generator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// A bare server's `/untouched`: the baseline of its framework.
    Bare,
    /// `/untouched`: the handler never touches the session.
    Untouched,
    /// `/read`: the handler reads the counter.
    Read,
    /// `/rw`: the handler reads the counter and writes it back plus one.
    Rw,
    /// `/new` without a cookie: a new session on every request.
    New,
}

impl Scenario {
    /// The scenarios of a session layer with a memory store, in the order of the tables.
    pub const WITH_SESSION: [Scenario; 4] = [Self::Untouched, Self::Read, Self::Rw, Self::New];

    /// The scenario's name in the table.
    ///
    /// ```
    /// assert_eq!(session_bench::Scenario::Rw.name(), "rw");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Bare => "bare",
            Self::Untouched => "untouched",
            Self::Read => "read",
            Self::Rw => "rw",
            Self::New => "new",
        }
    }

    /// The path requested.
    ///
    /// ```
    /// assert_eq!(session_bench::Scenario::New.path(), "/new");
    /// ```
    pub fn path(self) -> &'static str {
        match self {
            Self::Bare | Self::Untouched => "/untouched",
            Self::Read => "/read",
            Self::Rw => "/rw",
            Self::New => "/new",
        }
    }

    /// Whether requests carry one of the pre-made session cookies (all but `new`).
    ///
    /// ```
    /// assert!(!session_bench::Scenario::New.sends_cookies());
    /// ```
    pub fn sends_cookies(self) -> bool {
        self != Self::New
    }
}

/// One server: a framework and a session layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// The name given to `--variant`.
    pub name: &'static str,
    /// The framework.
    pub framework: Framework,
    /// The session layer.
    pub layer: Layer,
}

const fn v(name: &'static str, framework: Framework, layer: Layer) -> Variant {
    Variant {
        name,
        framework,
        layer,
    }
}

/// Every variant `bench-server` knows, in the order the runner measures them.
pub const VARIANTS: &[Variant] = &[
    v("bare-axum", Framework::Axum, Layer::Bare),
    v("ours-axum-memory", Framework::Axum, Layer::OursMemory),
    v("ours-axum-metrics", Framework::Axum, Layer::OursMetrics),
    v(
        "towersessions-memory",
        Framework::Axum,
        Layer::TowerSessionsMemory,
    ),
    v("floor-axum", Framework::Axum, Layer::Floor),
    v("ours-axum-redis", Framework::Axum, Layer::OursRedis),
    v(
        "ours-axum-redis-client",
        Framework::Axum,
        Layer::OursRedisClient,
    ),
    v(
        "ours-axum-redis-cached",
        Framework::Axum,
        Layer::OursRedisCached,
    ),
    v(
        "towersessions-redis",
        Framework::Axum,
        Layer::TowerSessionsRedis,
    ),
    v("bare-actix", Framework::Actix, Layer::Bare),
    v("ours-actix-memory", Framework::Actix, Layer::OursMemory),
    v(
        "actixsession-cookie",
        Framework::Actix,
        Layer::ActixSessionCookie,
    ),
    v("ours-actix-redis", Framework::Actix, Layer::OursRedis),
    v(
        "actixsession-redis",
        Framework::Actix,
        Layer::ActixSessionRedis,
    ),
    #[cfg(feature = "rocket")]
    v("bare-rocket", Framework::Rocket, Layer::Bare),
    #[cfg(feature = "rocket")]
    v("ours-rocket-memory", Framework::Rocket, Layer::OursMemory),
    #[cfg(feature = "rocket")]
    v("ours-rocket-redis", Framework::Rocket, Layer::OursRedis),
    #[cfg(feature = "warp")]
    v("bare-warp", Framework::Warp, Layer::Bare),
    #[cfg(feature = "warp")]
    v("ours-warp-memory", Framework::Warp, Layer::OursMemory),
    #[cfg(feature = "warp")]
    v("ours-warp-redis", Framework::Warp, Layer::OursRedis),
    #[cfg(feature = "poem")]
    v("bare-poem", Framework::Poem, Layer::Bare),
    #[cfg(feature = "poem")]
    v("ours-poem-memory", Framework::Poem, Layer::OursMemory),
    #[cfg(feature = "poem")]
    v("ours-poem-redis", Framework::Poem, Layer::OursRedis),
    #[cfg(feature = "salvo")]
    v("bare-salvo", Framework::Salvo, Layer::Bare),
    #[cfg(feature = "salvo")]
    v("ours-salvo-memory", Framework::Salvo, Layer::OursMemory),
    #[cfg(feature = "salvo")]
    v("ours-salvo-redis", Framework::Salvo, Layer::OursRedis),
];

impl Variant {
    /// The variant called `name`.
    ///
    /// ```
    /// let v = session_bench::Variant::named("ours-axum-memory").unwrap();
    /// assert_eq!(v.framework, session_bench::Framework::Axum);
    /// assert!(session_bench::Variant::named("nope").is_none());
    /// ```
    pub fn named(name: &str) -> Option<Variant> {
        VARIANTS.iter().copied().find(|v| v.name == name)
    }
}
