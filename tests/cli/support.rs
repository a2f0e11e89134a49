//! Shared by the integration tests: the local EC2 emulator, the example
//! estate, and the built `nacl-drift` binary run as a process.
//!
//! The emulator is moto's server, pinned in `tests/emulator/requirements.txt`.
//! It is installed on first use by `tests/emulator/install-moto.sh`; when it
//! cannot be installed or started, the test fails and says why. Tests never
//! skip.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

/// The id at `pointer` in the JSON that `estate.py seed` prints.
pub fn id<'a>(estate: &'a serde_json::Value, pointer: &str) -> &'a str {
    estate
        .pointer(pointer)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_else(|| panic!("no {pointer}"))
}

/// A temporary folder as a command-line argument.
pub fn dir_arg(dir: &Path) -> &str {
    dir.to_str().expect("utf-8 path")
}

/// Runs a validator (or any command) and fails the test with all it
/// printed when it does not succeed.
pub fn assert_passes(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {what}: {error}"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The repository's root folder.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The moto virtualenv, installed once per test process (and once per
/// machine: the script keeps it in `target/` and locks against races).
pub fn moto_venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| install("tests/emulator/install-moto.sh", "the EC2 emulator (moto)"))
}

/// The folder of the tests' programs from Debian's packages: zsh and fish
/// (the completion tests), chromium and chromedriver (the HTML report in a
/// real browser), installed once per machine by
/// `tests/tools/install-debian.sh`; when they cannot be installed, the
/// test fails.
pub fn debian_programs() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        install(
            "tests/tools/install-debian.sh",
            "zsh, fish, Chromium and ChromeDriver",
        )
    })
}

/// Runs an install script of the repository, which prints where it
/// installed; panics, saying why, when it cannot install.
fn install(script: &str, what: &str) -> PathBuf {
    let script = repo_root().join(script);
    let output = Command::new("bash")
        .arg(&script)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", script.display()));
    assert!(
        output.status.success(),
        "cannot install {what} that the tests need: {} exited with {}\n{}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

/// A validator the tests run (`actionlint`, `check-jsonschema`,
/// `sarif-multitool`), installed once per machine by
/// `tests/tools/install.sh`; when it cannot be installed, the test fails.
pub fn tool(name: &str) -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| install("tests/tools/install.sh", "the validators"))
        .join(name)
}

/// What a reader sees of the HTML file `page` in headless Chromium
/// (`tests/tools/browser.py`): its title, console, text, alert and the
/// elements it holds, as JSON.
pub fn in_browser(page: &Path) -> serde_json::Value {
    let output = Command::new(tool("python"))
        .arg(repo_root().join("tests/tools/browser.py"))
        .arg("--bin")
        .arg(debian_programs())
        .arg(page)
        .output()
        .expect("run the browser");
    assert!(
        output.status.success(),
        "the browser could not open {}:\n{}",
        page.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("browser.py prints JSON")
}

/// Every file below `dir`, by its path relative to `dir`, with its bytes.
pub fn files_below(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut found = std::collections::BTreeMap::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for item in std::fs::read_dir(&folder).expect("read folder") {
            let path = item.expect("folder item").path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .expect("under dir")
                    .display()
                    .to_string();
                found.insert(name, std::fs::read(&path).expect("read file"));
            }
        }
    }
    found
}

/// Copies every file below `from` to the same place below `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    for (relative, bytes) in files_below(from) {
        let target = to.join(relative);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, bytes).expect("copy");
    }
}

/// cfn-lint passes on the CloudFormation `template` (a path in the
/// repository).
pub fn assert_cfn_lint(template: &str) {
    assert_passes(
        Command::new(tool("cfn-lint"))
            .current_dir(repo_root())
            .arg(template),
        &format!("cfn-lint {template}"),
    );
}

/// The principal of the incidents that tests put on the event path.
pub const MALLORY: &str = "arn:aws:iam::123456789012:user/mallory";

/// The record CloudTrail writes for a successful call on an ingress entry
/// of `acl` in `region`, by `principal`, now.
pub fn entry_call(
    region: &str,
    name: &str,
    event_id: &str,
    acl: &str,
    rule: u16,
    principal: &str,
) -> String {
    let time = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    nacl_drift_fixtures::EntryCall {
        account: "123456789012",
        region,
        name,
        event_id,
        acl,
        rule,
        principal,
        time: &time,
    }
    .record()
    .to_string()
}

/// The tests' warm Python (`tests/emulator/zygote.py`): moto and boto3
/// imported once per test process, and each emulator and script forked
/// from it in milliseconds instead of a fresh interpreter's second of CPU.
/// It ends with the test process (its stdin closes).
fn zygote() -> &'static Path {
    // The child keeps its stdin open: zygote.py ends when this process does.
    static SOCKET: OnceLock<(PathBuf, Child)> = OnceLock::new();
    let (socket, _) = SOCKET.get_or_init(|| {
        let socket =
            std::env::temp_dir().join(format!("nacl-drift-zygote-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&socket);
        // Its own log, not this process's stderr, which a test runner
        // would see held open past the test (nextest's LEAK).
        let log = socket.with_extension("log");
        let mut child = Command::new(moto_venv().join("bin/python"))
            .arg(repo_root().join("tests/emulator/zygote.py"))
            .arg(&socket)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("the zygote's log"))
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run the emulator's zygote.py: {error}"));
        let mut ready = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().expect("its stdout")),
            &mut ready,
        )
        .expect("zygote.py says it is ready");
        assert_eq!(
            ready,
            "ready\n",
            "zygote.py did not start:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        (socket, child)
    });
    socket
}

/// Sends one request to the zygote; returns the connection and its first
/// answer.
fn ask_zygote(request: &serde_json::Value) -> Result<(UnixStream, serde_json::Value), String> {
    let mut connection = UnixStream::connect(zygote())
        .map_err(|error| format!("cannot reach zygote.py: {error}"))?;
    connection
        .write_all(format!("{request}\n").as_bytes())
        .map_err(|error| format!("cannot ask zygote.py: {error}"))?;
    let mut answer = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(&connection), &mut answer)
        .map_err(|error| format!("no answer from zygote.py: {error}"))?;
    let answer = serde_json::from_str(&answer)
        .map_err(|_| "zygote.py's child ended without answering".to_owned())?;
    Ok((connection, answer))
}

/// A moto server on a free loopback port, stopped when dropped. Each test
/// gets its own, so tests never see each other's resources.
pub struct Emulator {
    /// Open while the server runs: it stops when this closes.
    _connection: UnixStream,
    log: PathBuf,
    pub endpoint: String,
}

impl Emulator {
    pub fn start() -> Self {
        let log = tempfile::Builder::new()
            .prefix("nacl-drift-moto-")
            .suffix(".log")
            .tempfile()
            .expect("a log file")
            .into_temp_path()
            .keep()
            .expect("keep the log file");
        let request = serde_json::json!({ "emulator": log });
        let (connection, answer) = ask_zygote(&request).unwrap_or_else(|failure| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("cannot start the EC2 emulator (moto): {failure}\n{log}")
        });
        let port = answer["port"].as_u64().expect("the emulator's port");
        Emulator {
            _connection: connection,
            log,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Creates the example estate (`examples/estate.py`) and returns the ids
    /// it made, by region and name.
    pub fn seed_estate(&self) -> serde_json::Value {
        let output = self.python(&[
            "examples/estate.py",
            "--endpoint-url",
            &self.endpoint,
            "seed",
        ]);
        serde_json::from_slice(&output.stdout).expect("estate.py prints JSON")
    }

    /// An EC2 client for `region` of the emulator, to change the estate
    /// behind nacl-drift's back.
    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_ec2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
            .http_client(nacl_drift_aws::https_client())
            .build();
        aws_sdk_ec2::Client::from_conf(config)
    }

    /// Creates an empty NACL in `vpc_id` (us-east-1) and returns its id.
    pub async fn create_network_acl(&self, vpc_id: &str) -> String {
        let created = self
            .ec2("us-east-1")
            .create_network_acl()
            .vpc_id(vpc_id)
            .send()
            .await
            .expect("create a NACL on the emulator");
        created
            .network_acl()
            .and_then(|acl| acl.network_acl_id())
            .expect("the new NACL's id")
            .to_owned()
    }

    /// Does the incident drill's incidents (`estate.py incident`).
    pub fn incident(&self, estate: &serde_json::Value) {
        self.incident_logged(estate, None);
    }

    /// Does the incident drill's incidents, and with `logs`, writes there
    /// the CloudTrail log files of those calls.
    pub fn incident_logged(&self, estate: &serde_json::Value, logs: Option<&Path>) {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), estate.to_string()).expect("write estate");
        let path = file.path().to_str().expect("utf-8 path");
        let mut args = vec![
            "examples/estate.py",
            "--endpoint-url",
            &self.endpoint,
            "incident",
            path,
        ];
        if let Some(logs) = logs {
            args.extend(["--cloudtrail-logs", logs.to_str().expect("utf-8 path")]);
        }
        self.python(&args);
    }

    /// What `aws ec2 describe-network-acls --output json` prints for `region`.
    pub fn export(&self, region: &str) -> String {
        let output = self.python(&[
            "examples/estate.py",
            "--endpoint-url",
            &self.endpoint,
            "export",
            region,
        ]);
        String::from_utf8(output.stdout).expect("utf-8 export")
    }

    /// Creates an organization of `members` member accounts, each with a
    /// VPC and a NACL in every region of `regions`, as
    /// `tests/emulator/organization.py` does, and returns what it made.
    pub fn seed_organization(&self, members: usize, regions: &[&str]) -> serde_json::Value {
        let members = members.to_string();
        let regions = regions.join(",");
        let output = self.python(&[
            "tests/emulator/organization.py",
            "--endpoint-url",
            &self.endpoint,
            "seed",
            "--members",
            &members,
            "--regions",
            &regions,
        ]);
        serde_json::from_slice(&output.stdout).expect("organization.py prints JSON")
    }

    /// A proxy in front of the emulator that answers some calls with AWS's
    /// errors (`tests/emulator/proxy.py`), stopped when dropped.
    pub fn proxy(&self, args: &[&str]) -> Proxy {
        let mut child = Command::new(moto_venv().join("bin/python"))
            .arg("tests/emulator/proxy.py")
            .args(["--upstream", &self.endpoint])
            .args(args)
            .current_dir(repo_root())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run proxy.py");
        let mut port = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().expect("the proxy's stdout")),
            &mut port,
        )
        .expect("the proxy prints its port");
        let endpoint = format!("http://127.0.0.1:{}", port.trim());
        Proxy { child, endpoint }
    }

    /// EventBridge and SQS on the emulator (`tests/emulator/events.py`):
    /// `queue`, `put DETAIL`, `send URL DETAIL`, `count URL`, `whoami`.
    pub fn events(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["tests/emulator/events.py", "--endpoint-url", &self.endpoint];
        all.extend(args);
        let output = self.python(&all);
        serde_json::from_slice(&output.stdout).expect("events.py prints JSON")
    }

    /// Runs a Python script of the repository with the emulator's boto3,
    /// forked from the zygote.
    pub fn python(&self, args: &[&str]) -> Output {
        let stdout = tempfile::NamedTempFile::new().expect("a file for its stdout");
        let stderr = tempfile::NamedTempFile::new().expect("a file for its stderr");
        let env: std::collections::BTreeMap<String, String> = std::env::vars()
            .chain(dummy_credentials().map(|(name, value)| (name.to_owned(), value.to_owned())))
            .collect();
        let request = serde_json::json!({
            "script": args,
            "cwd": repo_root(),
            "env": env,
            "stdout": stdout.path(),
            "stderr": stderr.path(),
        });
        let (_, answer) =
            ask_zygote(&request).unwrap_or_else(|failure| panic!("python {args:?}: {failure}"));
        let code = answer["code"].as_i64().expect("the script's exit code");
        let output = Output {
            status: std::os::unix::process::ExitStatusExt::from_raw(
                i32::try_from(code).expect("an exit code") << 8,
            ),
            stdout: std::fs::read(stdout.path()).expect("its stdout"),
            stderr: std::fs::read(stderr.path()).expect("its stderr"),
        };
        assert!(
            output.status.success(),
            "python {args:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A running `tests/emulator/proxy.py`.
pub struct Proxy {
    child: Child,
    pub endpoint: String,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Credentials that work against the emulator and nowhere else.
fn dummy_credentials() -> [(&'static str, &'static str); 4] {
    [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ]
}

/// The built binary, with a clean AWS environment: dummy credentials, no
/// profile files, no instance metadata lookups, and no region unless given.
pub fn nacl_drift() -> Command {
    clean_aws_env(Command::new(env!("CARGO_BIN_EXE_nacl-drift")))
}

/// The built binary run with `args` on a terminal (a pseudo-terminal that
/// util-linux's `script` opens), with stdout sent to /dev/null: what it
/// printed is what a person would see on stderr.
pub fn nacl_drift_on_a_terminal(args: &[&str]) -> Run {
    on_a_terminal(Path::new("."), args, " > /dev/null")
}

/// The built binary run in `folder` with `args`, with stdout on a terminal
/// that reports 0 columns (`script`'s, outside a terminal) and no
/// `COLUMNS`: what it printed there.
pub fn nacl_drift_on_a_zero_column_terminal(folder: &Path, args: &[&str]) -> Run {
    on_a_terminal(folder, args, "")
}

fn on_a_terminal(folder: &Path, args: &[&str], redirect: &str) -> Run {
    let mut line = String::from(env!("CARGO_BIN_EXE_nacl-drift"));
    for arg in args {
        assert!(
            arg.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./:=".contains(&b)),
            "{arg} needs no quoting"
        );
        line.push(' ');
        line.push_str(arg);
    }
    line.push_str(redirect);
    let mut script = clean_aws_env(Command::new("script"));
    let output = script
        .current_dir(folder)
        .env_remove("COLUMNS")
        .args(["-qec", &line, "/dev/null"])
        .output()
        .expect("util-linux's script (Debian's bsdutils) opens a terminal for the test");
    Run {
        code: output.status.code().expect("script exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `command` with a clean AWS environment: dummy credentials, no profile
/// files, no instance metadata lookups, and no region unless given; and
/// none of nacl-drift's own settings or Lambda's from the environment.
pub fn clean_aws_env(mut command: Command) -> Command {
    for (name, _) in std::env::vars() {
        let ours = ["AWS_", "NACL_DRIFT_", "LAMBDA_"]
            .iter()
            .any(|prefix| name.starts_with(prefix));
        if ours || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command
        .envs(dummy_credentials())
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // One attempt a call: the emulator answers HTTP 500 to what it does
        // not implement (LookupEvents, a DryRun delete of an absent entry),
        // which the SDK's standard mode retried twice, a second or two of
        // backoff each. A test of a retry sets it back.
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("NO_COLOR", "1")
        // The cache of parsed baselines below target/, never the user's.
        .env(
            "NACL_DRIFT_CACHE_DIR",
            concat!(env!("CARGO_TARGET_TMPDIR"), "/parse-cache"),
        )
        // Wide tables: tests look for a phrase on one line. The tests of
        // the width itself remove it.
        .env("COLUMNS", "400");
    command
}

/// What a finished run printed, and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary with `args` and collects what it did.
pub fn run(command: &mut Command, args: &[&str]) -> Run {
    let output = command.args(args).output().expect("run nacl-drift");
    Run {
        code: output.status.code().expect("nacl-drift exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}
