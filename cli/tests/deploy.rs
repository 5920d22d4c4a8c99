//! deploy/: what can be tested without a cluster, tested for real.
//!
//! `deploy/check.py` renders the Helm chart with Helm's own engine and
//! validates the chart's renders and deploy/k8s/*.yaml against the
//! Kubernetes API schemas (strict). Then every Indexed Job — the static
//! manifest and each render — is run as Kubernetes would run it: its
//! container's args, with `$(VAR)` expanded from its env, through the sdg
//! binary, once per completion index with JOB_COMPLETION_INDEX set; the
//! shards together make exactly the generator's rows. Every Deployment is
//! started the same way (its ConfigMap's serve.yaml, its args) and its
//! probes and Prometheus annotation are fetched: each answers 200. The
//! Dockerfile is read for the keys a real build needs.

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// Every document of a multi-document YAML file, as JSON values.
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::Deserializer::from_str(&text)
        .map(|d| {
            let v: Value = serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            v
        })
        .filter(|v| !v.is_null())
        .collect()
}

fn kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn configmap_file<'a>(docs: &'a [Value], name: &str, key: &str) -> &'a str {
    let cm =
        kind(docs, "ConfigMap").into_iter().find(|c| c["metadata"]["name"] == name).expect("the mounted ConfigMap");
    cm["data"][key].as_str().unwrap_or_else(|| panic!("ConfigMap {name} has no {key}"))
}

/// `$(NAME)` in `arg` replaced as Kubernetes does, from `env`.
fn expand(arg: &str, env: &HashMap<String, String>) -> String {
    let mut out = arg.to_string();
    for (k, v) in env {
        out = out.replace(&format!("$({k})"), v);
    }
    assert!(!out.contains("$("), "{arg}: a variable the container's env does not set");
    out
}

/// The container's env: plain values, and Secret references from `secrets` (name/key → value).
fn container_env(c: &Value, secrets: &HashMap<(&str, &str), String>) -> HashMap<String, String> {
    let mut env = HashMap::new();
    for e in c["env"].as_array().into_iter().flatten() {
        let name = e["name"].as_str().expect("env name").to_string();
        let value = match (e["value"].as_str(), e["valueFrom"]["secretKeyRef"].as_object()) {
            (Some(v), _) => v.to_string(),
            (None, Some(r)) => {
                let key = (r["name"].as_str().expect("secret name"), r["key"].as_str().expect("secret key"));
                secrets.get(&key).unwrap_or_else(|| panic!("the test has no Secret {key:?}")).clone()
            }
            _ => panic!("env {name}: neither value nor secretKeyRef"),
        };
        env.insert(name, value);
    }
    env
}

/// The keys a pod of ours needs in a real cluster: a non-root user, no
/// privilege escalation, a read-only root with a writable working directory
/// (the image's home, /var/lib/sdg: INDEXED pools' cache), a CPU limit,
/// the config mounted.
fn check_pod(where_: &str, pod: &Value) {
    let sc = &pod["securityContext"];
    assert_eq!(sc["runAsNonRoot"], true, "{where_}: runAsNonRoot");
    assert!(sc["runAsUser"].as_u64().is_some_and(|u| u > 0), "{where_}: a numeric non-root runAsUser");
    let c = &pod["containers"][0];
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false, "{where_}");
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true, "{where_}");
    assert!(c["resources"]["limits"]["cpu"].is_string(), "{where_}: a CPU limit (sdg sizes its workers by the quota)");
    let mounts: Vec<&Value> = c["volumeMounts"].as_array().expect("mounts").iter().collect();
    assert!(mounts.iter().any(|m| m["mountPath"] == "/etc/sdg"), "{where_}: the config at /etc/sdg");
    let home = mounts.iter().find(|m| m["mountPath"] == "/var/lib/sdg").expect("a volume at /var/lib/sdg");
    assert_ne!(home["readOnly"], true, "{where_}: /var/lib/sdg is writable");
    assert!(
        pod["volumes"].as_array().expect("volumes").iter().any(|v| v["name"] == home["name"]),
        "{where_}: the working directory's volume exists"
    );
}

/// Runs an Indexed Job's pods as Kubernetes would: one process per index.
fn run_job(where_: &str, docs: &[Value], dir: &Path) {
    let job = kind(docs, "Job").into_iter().next().unwrap_or_else(|| panic!("{where_}: no Job"));
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed", "{where_}");
    assert_eq!(spec["template"]["spec"]["restartPolicy"], "Never", "{where_}");
    assert_eq!(spec["maxFailedIndexes"], 0, "{where_}: a shard out of retries fails the Job");
    let completions = spec["completions"].as_u64().expect("completions");
    assert!(spec["parallelism"].as_u64().expect("parallelism") <= completions, "{where_}");
    let pod = &spec["template"]["spec"];
    check_pod(where_, pod);
    let c = &pod["containers"][0];
    let out = dir.join(format!("{}-orders.csv", where_.replace(['/', ' ', '.'], "-")));
    let secrets = HashMap::from([(("sdg-destination", "url"), format!("file:{}", out.display()))]);
    let env = container_env(c, &secrets);
    assert_eq!(
        env.get("SDG_SHARDS").map(String::as_str),
        Some(completions.to_string().as_str()),
        "{where_}: SDG_SHARDS"
    );
    // The definition as the ConfigMap mounts it.
    let cm = pod["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find_map(|v| v["configMap"]["name"].as_str())
        .expect("configMap volume");
    let etc = dir.join(format!("etc-{completions}-{}", out.file_stem().and_then(|s| s.to_str()).unwrap_or("x")));
    std::fs::create_dir_all(&etc).expect("etc");
    std::fs::write(etc.join("generator.yaml"), configmap_file(docs, cm, "generator.yaml")).expect("generator");
    let mut args: Vec<String> = c["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| expand(a.as_str().expect("arg"), &env).replace("/etc/sdg", etc.to_str().expect("path")))
        .collect();
    let to_file = args.iter().any(|a| a == "--to");
    if !to_file {
        args.extend(["--to".into(), format!("file:{}", out.display())]);
    }
    // Fewer rows than the example's hundreds of millions; the rest as written.
    args.extend(["--rows".into(), "9001".into()]);
    let pods: Vec<_> = (0..completions)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_sdg"))
                .args(&args)
                .envs(&env)
                .env("JOB_COMPLETION_INDEX", i.to_string())
                .stderr(Stdio::piped())
                .spawn()
                .expect("a pod")
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for (i, p) in pods.into_iter().enumerate() {
        let o = p.wait_with_output().expect("pod");
        assert!(o.status.success(), "{where_}: index {i}: {}", String::from_utf8_lossy(&o.stderr));
        let part = sdg_engine::pipeline::shard::part_path(out.to_str().expect("path"), (i as u64, completions));
        let text = std::fs::read_to_string(&part).unwrap_or_else(|e| panic!("{part}: {e}"));
        for line in text.lines().filter(|l| !l.starts_with("order_id")) {
            assert!(ids.insert(line.split(',').next().expect("id").to_string()), "{where_}: a row twice");
        }
    }
    assert_eq!(ids.len(), 9001, "{where_}: the shards make every row once");
}

/// A child process killed when the test ends, passing or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a Deployment's container as its pod would and fetches its probes.
fn run_deployment(where_: &str, docs: &[Value], dir: &Path) {
    let d = kind(docs, "Deployment").into_iter().next().unwrap_or_else(|| panic!("{where_}: no Deployment"));
    assert_eq!(d["spec"]["replicas"], 1, "{where_}: one writer of the store");
    assert_eq!(d["spec"]["strategy"]["type"], "Recreate", "{where_}: the old pod lets go of the volume first");
    let pod = &d["spec"]["template"]["spec"];
    check_pod(where_, pod);
    let annotations = &d["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/scrape"], "true", "{where_}");
    let c = &pod["containers"][0];
    let port = c["ports"][0]["containerPort"].as_u64().expect("containerPort");
    assert_eq!(annotations["prometheus.io/port"], port.to_string(), "{where_}");
    let data_mount = c["volumeMounts"].as_array().expect("mounts").iter().find(|m| m["name"] == "data").expect("data");
    let data_path = data_mount["mountPath"].as_str().expect("mountPath");
    let claims: Vec<&Value> =
        pod["volumes"].as_array().expect("volumes").iter().filter(|v| v["name"] == "data").collect();
    if let Some(claim) = claims[0]["persistentVolumeClaim"]["claimName"].as_str() {
        assert!(
            kind(docs, "PersistentVolumeClaim").iter().any(|p| p["metadata"]["name"] == claim),
            "{where_}: the claim {claim} is in the manifests"
        );
    }
    let service = kind(docs, "Service").into_iter().next().unwrap_or_else(|| panic!("{where_}: no Service"));
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "http", "{where_}");
    // The key the Secret's hash is of.
    let key = "sdg_test_deploy_key_0123456789abcdef";
    let hash = String::from_utf8(
        Command::new(env!("CARGO_BIN_EXE_sdg")).args(["api-key", "--hash", key]).output().expect("api-key").stdout,
    )
    .expect("utf8")
    .trim()
    .to_string();
    let secrets = HashMap::from([(("sdg-api-keys", "hash"), hash)]);
    let env = container_env(c, &secrets);
    let cm =
        pod["volumes"].as_array().expect("volumes").iter().find_map(|v| v["configMap"]["name"].as_str()).expect("cm");
    // The pod's paths under a directory of the test; its port, a free one.
    let base = dir.join(where_.replace(['/', ' ', '.'], "-"));
    let etc = base.join("etc");
    std::fs::create_dir_all(&etc).expect("etc");
    let serve = configmap_file(docs, cm, "serve.yaml")
        .replace(&format!("0.0.0.0:{port}"), "127.0.0.1:0")
        .replace(data_path, base.join("data").to_str().expect("path"));
    std::fs::write(etc.join("serve.yaml"), serve).expect("serve.yaml");
    let args: Vec<String> = c["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| expand(a.as_str().expect("arg"), &env).replace("/etc/sdg", etc.to_str().expect("path")))
        .collect();
    let log = base.join("serve.log");
    let mut server = Killed(
        Command::new(env!("CARGO_BIN_EXE_sdg"))
            .args(&args)
            .envs(&env)
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("sdg serve"),
    );
    let mut addr = None;
    for _ in 0..200 {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        // The address once its line is whole (stderr may arrive in pieces).
        if let Some(a) = text.split("sdg control API on http://").nth(1).and_then(|r| r.split_once(' ')).map(|(a, _)| a)
        {
            addr = Some(a.to_string());
            break;
        }
        if server.0.try_wait().expect("wait").is_some() {
            panic!("{where_}: sdg serve exited: {text}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let addr = addr.unwrap_or_else(|| panic!("{where_}: sdg serve did not start"));
    let keyed = env.contains_key("SDG_API_KEY_HASH");
    let fetch = |path: &str, with_key: bool| -> u16 {
        let mut req = ureq::get(&format!("http://{addr}{path}"));
        if with_key {
            req = req.header("X-API-Key", key);
        }
        match req.config().http_status_as_error(false).build().call() {
            Ok(r) => r.status().as_u16(),
            Err(e) => panic!("{where_}: GET {path}: {e}"),
        }
    };
    for probe in ["readinessProbe", "livenessProbe"] {
        let path = c[probe]["httpGet"]["path"].as_str().expect("probe path");
        assert_eq!(c[probe]["httpGet"]["port"], "http", "{where_}: {probe}");
        // Probes carry no key: the health route needs none.
        assert_eq!(fetch(path, false), 200, "{where_}: {probe} {path}");
    }
    let metrics = annotations["prometheus.io/path"].as_str().expect("prometheus path");
    assert_eq!(fetch(metrics, keyed), 200, "{where_}: {metrics}");
    if keyed {
        assert_eq!(fetch("/api/v1/generators", false), 401, "{where_}: the Secret's key is required");
        assert_eq!(fetch("/api/v1/generators", true), 200, "{where_}");
    }
    drop(server);
}

#[test]
fn manifests_and_chart_renders_run_as_a_cluster_would_run_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let rendered = dir.path().join("rendered");
    let check = Command::new("python3")
        .arg(root().join("deploy/check.py"))
        .arg(&rendered)
        .output()
        .expect("python3 deploy/check.py");
    let report = format!("{}{}", String::from_utf8_lossy(&check.stdout), String::from_utf8_lossy(&check.stderr));
    assert!(
        check.status.success(),
        "deploy/check.py (needs pip install helm-python-sdk==0.2.2 kubernetes-validate==1.37.0; scripts/test.sh installs them):\n{report}"
    );
    assert!(report.contains("chart serve-default: ConfigMap, Deployment, PersistentVolumeClaim, Service"), "{report}");
    let k8s = root().join("deploy/k8s");
    run_job("k8s/job.yaml", &documents(&k8s.join("job.yaml")), dir.path());
    run_deployment("k8s/serve.yaml", &documents(&k8s.join("serve.yaml")), dir.path());
    for case in ["job-default", "job-kafka"] {
        run_job(&format!("chart {case}"), &documents(&rendered.join(format!("{case}.yaml"))), dir.path());
    }
    for case in ["serve-default", "serve-keys"] {
        run_deployment(&format!("chart {case}"), &documents(&rendered.join(format!("{case}.yaml"))), dir.path());
    }
}

#[test]
fn the_dockerfile_builds_the_binary_and_runs_it_unprivileged() {
    let text = std::fs::read_to_string(root().join("deploy/Dockerfile")).expect("Dockerfile");
    let stages: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert!(stages.len() >= 2 && stages[0].contains(" AS build"), "multi-stage: {stages:?}");
    let runtime = text.split("FROM ").last().expect("runtime stage");
    assert!(runtime.contains("COPY --from=build /out/sdg /usr/local/bin/sdg"), "the binary alone");
    assert!(!runtime.contains("cargo"), "no toolchain in the runtime image");
    let user = runtime.lines().find_map(|l| l.strip_prefix("USER ")).expect("USER");
    assert!(user.split(':').all(|id| id.parse::<u32>().is_ok_and(|n| n > 0)), "a numeric non-root USER: {user}");
    assert!(runtime.contains("ENTRYPOINT [\"/usr/local/bin/sdg\"]"));
    // The build command names the package and locked dependencies; the features it documents exist.
    assert!(text.contains("cargo build --release --locked -p sdg"), "the build command");
    let manifest = std::fs::read_to_string(root().join("cli/Cargo.toml")).expect("cli/Cargo.toml");
    for feature in ["plugins", "profiling", "query"] {
        assert!(text.contains(feature) && manifest.contains(&format!("\n{feature} = ")), "feature {feature}");
    }
    // The image the manifests name is the one the Dockerfile's comment builds.
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).expect(".dockerignore");
    assert!(ignore.lines().any(|l| l.trim() == "target/"), "the build context leaves target/ out");
}
