//! nginx (Debian's package, `scripts/install-tools.sh`) as the load balancer in front of
//! several instances, running the documented `docs/deploy/nginx-sluice.conf` with the
//! instances' ports and a free listen port put in, in a directory of its own; stopped on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running nginx.
pub struct Nginx {
    pub base_url: String,
    child: Child,
    dir: PathBuf,
}

impl Nginx {
    /// Starts nginx with the documented site in front of `upstreams` (`http://127.0.0.1:port`
    /// base URLs), listening on `listen` (an address of 127.0.0.0/8) and a free port.
    pub async fn start(upstreams: &[&str], listen: std::net::IpAddr) -> Nginx {
        let bin = std::env::var_os("NGINX_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/sbin/nginx"));
        assert!(
            bin.exists(),
            "{} is missing: run scripts/install-tools.sh",
            bin.display()
        );
        let site = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/deploy/nginx-sluice.conf"),
        )
        .expect("read docs/deploy/nginx-sluice.conf");
        let port = std::net::TcpListener::bind((listen, 0))
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let servers: String = upstreams
            .iter()
            .map(|u| {
                let addr = u.trim_start_matches("http://");
                format!("    server {addr} max_fails=1 fail_timeout=2s;\n")
            })
            .collect();
        let mut lines: Vec<String> = Vec::new();
        for line in site.lines() {
            let t = line.trim_start();
            if t.starts_with("server 127.0.0.1:8055") {
                lines.push(servers.trim_end().to_owned());
            } else if t.starts_with("server 127.0.0.1:") {
                continue;
            } else if t == "listen 80;" {
                lines.push(format!("    listen {listen}:{port};"));
            } else {
                lines.push(line.to_owned());
            }
        }
        let dir = std::env::temp_dir().join(format!("sluice-nginx-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("nginx dir");
        let d = dir.display();
        // The test harness exposes which instance answered, as an operator's log would.
        let site = lines.join("\n").replace(
            "proxy_pass http://sluice;",
            "proxy_pass http://sluice;\n        add_header X-Upstream $upstream_addr always;",
        );
        let conf = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\nevents {{ worker_connections 512; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  \
             proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  \
             uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n{site}\n}}\n"
        );
        std::fs::write(dir.join("nginx.conf"), conf).expect("write nginx.conf");
        let child = Command::new(&bin)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let mut nginx = Nginx {
            base_url: format!("http://{listen}:{port}"),
            child,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                panic!("nginx exited with {status}:\n{}", nginx.log());
            }
            if std::net::TcpStream::connect((listen, port)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "nginx never listened:\n{}",
                nginx.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        nginx
    }

    /// nginx's error log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
