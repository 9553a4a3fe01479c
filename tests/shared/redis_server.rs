//! A real `redis-server` for one test, on 127.0.0.1 and a free port,
//! started and stopped (or killed, or paused) by its PID.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const INSTALL_HINT: &str = "redis-server was not found. Install it with `apt-get install -y redis-server` \
     (scripts/test.sh does when it is missing), or point REDIS_SERVER at the binary.";

/// One server; stopped when dropped.
pub struct RedisServer {
    pub port: u16,
    password: Option<String>,
    extra: Vec<String>,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl RedisServer {
    /// A server with no password.
    pub fn start() -> RedisServer {
        Self::start_with(None, &[])
    }

    /// A server with `requirepass` and more `--option value` arguments.
    pub fn start_with(password: Option<&str>, extra: &[&str]) -> RedisServer {
        let mut server = RedisServer {
            port: free_port(),
            password: password.map(str::to_string),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
            dir: tempfile::tempdir().unwrap(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let mut cmd = Command::new(&binary);
        cmd.args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--daemonize", "no", "--loglevel", "warning"]);
        if let Some(p) = &self.password {
            cmd.args(["--requirepass", p]);
        }
        cmd.args(&self.extra);
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {binary}: {e}. {INSTALL_HINT}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen on {} within 20 s", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `redis://127.0.0.1:PORT` (with the password, if any).
    pub fn url(&self) -> String {
        match &self.password {
            Some(p) => format!("redis://:{p}@127.0.0.1:{}", self.port),
            None => format!("redis://127.0.0.1:{}", self.port),
        }
    }

    fn pid(&self) -> i32 {
        self.child.as_ref().expect("running").id() as i32
    }

    /// SIGKILL, by PID, and wait for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (empty).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// SIGSTOP: it keeps its socket and answers nothing.
    pub fn pause(&self) {
        unsafe_signal(self.pid(), libc::SIGSTOP);
    }

    /// SIGCONT.
    pub fn resume(&self) {
        unsafe_signal(self.pid(), libc::SIGCONT);
    }

    /// A plain connection, for looking at and tampering with what is stored.
    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url()).unwrap().get_connection().unwrap()
    }

    /// Every key and its bytes.
    pub fn dump(&self) -> Vec<(String, Vec<u8>)> {
        let mut c = self.conn();
        let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut c).unwrap();
        keys.into_iter()
            .filter_map(|k| {
                let v: Option<Vec<u8>> = redis::cmd("GET").arg(&k).query(&mut c).ok()?;
                Some((k, v?))
            })
            .collect()
    }

    /// The bytes at `key`.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        redis::cmd("GET").arg(key).query(&mut self.conn()).unwrap()
    }

    /// Stores `value` at `key`.
    pub fn set(&self, key: &str, value: &[u8]) {
        let () = redis::cmd("SET").arg(key).arg(value).query(&mut self.conn()).unwrap();
    }
}

#[allow(unsafe_code)]
fn unsafe_signal(pid: i32, signal: i32) {
    // SAFETY: kill(2) on the PID of a child this harness started.
    unsafe {
        libc::kill(pid, signal);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            unsafe_signal(child.id() as i32, libc::SIGCONT);
        }
        self.kill();
    }
}
