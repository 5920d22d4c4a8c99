//! The model, job and dataset routes over real HTTP: a CSV upload becomes a
//! pool, a model trains on it in a background job (fidelity report, model
//! file), generation jobs write files (conditions exact, the same seed the
//! same bytes, Parquet that uploads again), generators sample the trained
//! model by name, everything survives a restart, and every client mistake
//! gets a 4xx that says what to change.

mod common;
use common::*;
use serde_json::{Value, json};

const PENGUINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/datasets/penguins.csv");

/// A multipart/form-data body of `parts` (name, file name, bytes).
fn form(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "sdg-test-7d3f0a";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn upload(s: &TestServer, parts: &[(&str, Option<&str>, &[u8])]) -> Answer {
    let (ct, body) = form(parts);
    post_raw(&s.api("/datasets"), &ct, &body)
}

/// The raw bytes of a download, with its status.
fn download(url: &str) -> (u16, Vec<u8>) {
    let mut r = agent().get(url).call().expect("HTTP exchange");
    let status = r.status().as_u16();
    let bytes = r.body_mut().with_config().limit(1 << 30).read_to_vec().expect("body");
    (status, bytes)
}

/// Waits until the model is no longer pending or training; its detail.
fn trained(s: &TestServer, id: &str) -> Value {
    let mut last = Value::Null;
    wait_for("the model to train", 120, || {
        last = get(&s.api(&format!("/models/{id}"))).body;
        !matches!(last["model"]["status"].as_str(), Some("pending" | "training"))
    });
    last
}

/// Waits until the job has finished; its record.
fn finished(s: &TestServer, id: &str) -> Value {
    let mut last = Value::Null;
    wait_for("the job to finish", 120, || {
        last = get(&s.api(&format!("/jobs/{id}"))).body;
        matches!(last["status"].as_str(), Some("completed" | "failed" | "cancelled"))
    });
    last
}

fn generate(s: &TestServer, model: &str, body: &Value) -> String {
    let r = post(&s.api(&format!("/models/{model}/generate")), body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["job_id"], r.body["synthgen_job_id"]);
    r.body["job_id"].as_str().expect("job id").to_string()
}

/// A column of a CSV text by header name.
fn column(csv: &str, name: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let k = header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    lines.map(|l| l.split(',').nth(k).unwrap_or_default().to_string()).collect()
}

fn mean(values: &[String]) -> f64 {
    let v: Vec<f64> = values.iter().filter_map(|x| x.parse().ok()).collect();
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn a_model_trains_on_an_upload_generates_files_and_feeds_generators_across_restarts() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let csv = std::fs::read(PENGUINS).expect("penguins.csv");

    // The upload becomes a pool.
    let up = upload(&s, &[("file", Some("penguins.csv"), &csv)]);
    assert_eq!(up.status, 201, "{}", up.body);
    assert_eq!((up.body["name"].as_str(), up.body["rows"].as_u64()), (Some("penguins"), Some(344)), "{}", up.body);
    assert_eq!(up.body["format"], "csv");
    let dataset_id = up.body["id"].as_str().expect("id").to_string();
    let pool = get(&s.api("/pools/penguins"));
    assert_eq!((pool.status, pool.body["origin"].as_str()), (200, Some("dataset")), "{}", pool.body);
    assert_eq!(pool.body["declared_in"], dataset_id.as_str());
    assert_eq!(get(&s.api("/datasets")).body.as_array().map(Vec::len), Some(1));

    // Train: 201 at once, ready later with its report.
    let r = post(
        &s.api("/models"),
        &json!({ "name": "penguins", "dataset_version_id": dataset_id, "model_type": "gaussian_copula",
                 "project_id": "zoo", "config": { "seed": 3 } }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    let id = r.body["id"].as_str().expect("id").to_string();
    assert_eq!(r.body["model_id"], id.as_str());
    let train_job = r.body["job_id"].as_str().expect("job").to_string();
    let detail = trained(&s, &id);
    let model = &detail["model"];
    assert_eq!(model["status"], "ready", "{detail}");
    assert_eq!((model["source_rows"].as_u64(), model["dataset_name"].as_str()), (Some(344), Some("penguins")));
    assert_eq!(model["columns"].as_array().map(Vec::len), Some(8), "{model}");
    assert_eq!(model["config"]["fidelity_rows"], 10_000, "defaults are filled in: {model}");
    let report = &model["fidelity"];
    assert_eq!(report["rows"], 10_000);
    for c in report["columns"].as_array().expect("columns") {
        assert!(c["value"].as_f64().expect("value") <= 0.05, "{c}");
    }
    assert!(report["max_spearman_delta"].as_f64().expect("Δ") <= 0.05, "{report}");
    assert!(report["quality"].as_f64().expect("quality") >= 0.9, "{report}");
    assert_eq!(detail["jobs"][0]["id"], train_job.as_str());
    assert_eq!(detail["jobs"][0]["status"], "completed");
    assert_eq!(detail["jobs"][0]["job_type"], "train");
    // The model file, from the model and from its training job: the file `sdg fit` writes.
    let (status, file) = download(&s.api(&format!("/models/{id}/download")));
    assert_eq!(status, 200);
    let file: Value = serde_json::from_slice(&file).expect("json");
    assert_eq!((file["format"].as_str(), file["source_rows"].as_u64()), (Some("sdg-gaussian-copula"), Some(344)));
    let (status, again) = download(&s.api(&format!("/jobs/{train_job}/download")));
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_slice::<Value>(&again).expect("json"), file);
    // By name too; filtered lists.
    assert_eq!(get(&s.api("/models/penguins")).body["model"]["id"], id.as_str());
    let page = get(&s.api("/models?project_id=zoo&limit=10"));
    assert_eq!((page.body["total"].as_u64(), page.body["limit"].as_u64()), (Some(1), Some(10)), "{}", page.body);
    assert_eq!(get(&s.api("/models?project_id=other")).body["total"], 0);

    // Generation: conditions are exact and move the other columns.
    let gentoo = generate(
        &s,
        &id,
        &json!({ "num_rows": 5000, "seed": 42, "conditions": { "species": "Gentoo" }, "format": "csv" }),
    );
    let job = finished(&s, &gentoo);
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!((job["output"]["rows"].as_u64(), job["output"]["format"].as_str()), (Some(5000), Some("csv")));
    assert_eq!(job["output_artifact_id"], gentoo.as_str());
    let (status, bytes) = download(&s.api(&format!("/jobs/{gentoo}/download")));
    assert_eq!(status, 200);
    assert_eq!(bytes.len() as u64, job["output"]["bytes"].as_u64().expect("bytes"));
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert_eq!(text.lines().count(), 5001);
    assert!(column(&text, "species").iter().all(|v| v == "Gentoo"));
    let heavy = mean(&column(&text, "body_mass_g"));
    assert!(heavy > 4700.0, "Gentoos are heavy (data mean 5076 g; all penguins 4202 g): {heavy}");
    // The same seed: the same bytes.
    let twin = generate(
        &s,
        &id,
        &json!({ "num_rows": 5000, "seed": 42, "conditions": { "species": "Gentoo" }, "format": "csv" }),
    );
    assert_eq!(finished(&s, &twin)["status"], "completed");
    assert_eq!(download(&s.api(&format!("/jobs/{twin}/download"))).1, bytes);
    // Parquet, a subset of columns, with a drawn seed recorded in the job; it uploads again as a dataset.
    let pq =
        generate(&s, &id, &json!({ "num_rows": 2000, "format": "parquet", "columns": ["species", "body_mass_g"] }));
    let job = finished(&s, &pq);
    assert_eq!(job["status"], "completed", "{job}");
    assert!(job["config"]["seed"].as_u64().is_some(), "{job}");
    let (_, parquet) = download(&s.api(&format!("/jobs/{pq}/download")));
    assert_eq!(&parquet[..4], b"PAR1");
    let up2 = upload(&s, &[("file", Some("synthetic.parquet"), &parquet), ("name", None, b"synthetic")]);
    assert_eq!(up2.status, 201, "{}", up2.body);
    assert_eq!((up2.body["format"].as_str(), up2.body["rows"].as_u64()), (Some("parquet"), Some(2000)));
    let names: Vec<&str> =
        up2.body["columns"].as_array().expect("cols").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["species", "body_mass_g"]);

    // A generator samples the trained model by name.
    let out = dir.path().join("gen.csv");
    let definition = json!({
        "name": "from-trained", "seed": 5,
        "end_condition": { "type": "RECORD_COUNT", "value": 3000 },
        "destination": { "type": "FILE", "config": { "path": out.to_string_lossy() } },
        "copulas": [{ "name": "p", "source": { "trained": "penguins" }, "conditions": { "island": "Dream" } }],
        "fields": [
            { "name": "species", "type": "COPULA_GENERATED", "params": { "model": "p" } },
            { "name": "island", "type": "COPULA_GENERATED", "params": { "model": "p" } },
            { "name": "flipper_length_mm", "type": "COPULA_GENERATED", "params": { "model": "p" } }
        ]
    });
    let gid = create(&s, &definition);
    assert_eq!(post_empty(&s.api(&format!("/generators/{gid}/start"))).status, 200);
    wait_for("the generator to complete", 60, || {
        get(&s.api(&format!("/generators/{gid}"))).body["status"] == "COMPLETED"
    });
    let rows = std::fs::read_to_string(&out).expect("out");
    assert_eq!(rows.lines().count(), 3001);
    assert!(column(&rows, "island").iter().all(|v| v == "Dream"));
    let flippers = mean(&column(&rows, "flipper_length_mm"));
    assert!(flippers < 198.0, "Dream's penguins have short flippers (data: 193 mm; all: 201 mm): {flippers}");

    // A restart keeps the datasets, the models (ready to sample) and the jobs.
    s.shutdown();
    let s = TestServer::start(config(dir.path()));
    assert_eq!(get(&s.api(&format!("/models/{id}"))).body["model"]["status"], "ready");
    assert_eq!(get(&s.api("/pools/penguins")).body["rows"], 344);
    assert_eq!(get(&s.api(&format!("/jobs?model_id={id}"))).body["total"], 4);
    let after = generate(
        &s,
        "penguins",
        &json!({ "num_rows": 5000, "seed": 42, "conditions": { "species": "Gentoo" }, "format": "csv" }),
    );
    assert_eq!(finished(&s, &after)["status"], "completed");
    assert_eq!(download(&s.api(&format!("/jobs/{after}/download"))).1, bytes, "the same model after a restart");
    let v = post(&s.api("/generators/validate"), &definition);
    assert_eq!(v.body["valid"], true, "{}", v.body);

    // Deleting the model takes its jobs and files; generators are told it is gone.
    let d = delete(&s.api(&format!("/models/{id}")));
    assert_eq!((d.status, d.body["ok"].as_bool()), (200, Some(true)), "{}", d.body);
    assert_eq!(get(&s.api(&format!("/models/{id}"))).status, 404);
    assert_eq!(get(&s.api(&format!("/jobs/{gentoo}"))).status, 404);
    assert_eq!(get(&s.api(&format!("/jobs?model_id={id}"))).body["total"], 0);
    let jobs_dir = dir.path().join("jobs");
    assert_eq!(std::fs::read_dir(&jobs_dir).expect("jobs dir").count(), 0, "their files are gone");
    let v = post(&s.api("/generators/validate"), &definition);
    assert_eq!(v.body["valid"], false);
    assert!(
        v.body["errors"][0]["message"].as_str().unwrap_or_default().contains("no trained model `penguins`"),
        "{}",
        v.body
    );
    // And the dataset, its pool and its file.
    let d = delete(&s.api(&format!("/datasets/{dataset_id}")));
    assert_eq!(d.status, 200, "{}", d.body);
    assert_eq!(get(&s.api("/pools/penguins")).status, 404);
    assert_eq!(get(&s.api(&format!("/datasets/{dataset_id}"))).status, 404);
}

#[test]
fn jobs_wait_their_turn_and_can_be_cancelled() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut cfg = config(dir.path());
    cfg.job_workers = 1;
    let s = TestServer::start(cfg);
    let csv = std::fs::read(PENGUINS).expect("penguins.csv");
    assert_eq!(upload(&s, &[("file", Some("p.csv"), &csv), ("name", None, b"palmer")]).status, 201);
    let r = post(&s.api("/models"), &json!({ "name": "m", "dataset": "palmer", "config": { "fidelity_rows": 0 } }));
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_string();
    let detail = trained(&s, &id);
    assert_eq!(detail["model"]["status"], "ready", "{detail}");
    assert!(detail["model"].get("fidelity").is_none(), "fidelity_rows: 0 makes no report");

    // One worker: a long job runs, the next one waits (pending) and has no output yet.
    let long = generate(&s, &id, &json!({ "num_rows": 100_000_000, "format": "jsonl" }));
    let next = generate(&s, &id, &json!({ "num_rows": 10 }));
    wait_for("the long job to run", 30, || get(&s.api(&format!("/jobs/{long}"))).body["status"] == "running");
    let waiting = get(&s.api(&format!("/jobs/{next}")));
    assert_eq!(waiting.body["status"], "pending", "{}", waiting.body);
    let early = get(&s.api(&format!("/jobs/{next}/download")));
    assert_eq!(early.status, 409, "{}", early.body);
    assert!(early.body["detail"].as_str().unwrap_or_default().contains("pending"), "{}", early.body);
    wait_for("progress", 30, || get(&s.api(&format!("/jobs/{long}"))).body["progress"].as_f64().unwrap_or(0.0) > 0.0);
    // Cancelling: the pending one at once, the running one once its run stops.
    let c = post_empty(&s.api(&format!("/jobs/{next}/cancel")));
    assert_eq!((c.status, c.body["status"].as_str()), (200, Some("cancelled")), "{}", c.body);
    let c = post_empty(&s.api(&format!("/jobs/{long}/cancel")));
    assert_eq!(c.status, 200, "{}", c.body);
    let job = finished(&s, &long);
    assert_eq!(job["status"], "cancelled", "{job}");
    assert!(job.get("output").is_none());
    assert_eq!(post_empty(&s.api(&format!("/jobs/{long}/cancel"))).status, 409, "a finished job cannot be cancelled");
    assert_eq!(get(&s.api(&format!("/jobs/{long}/download"))).status, 409);
    let listed = get(&s.api("/jobs?status=cancelled"));
    assert_eq!(listed.body["total"], 2, "{}", listed.body);
    assert_eq!(get(&s.api("/jobs?job_type=train")).body["total"], 1);
    assert_eq!(get(&s.api("/jobs?skip=1&limit=1")).body["items"].as_array().map(Vec::len), Some(1));
    // A generation job is deleted on its own; a training job goes with its model.
    let files = || std::fs::read_dir(dir.path().join("jobs")).expect("jobs dir").count();
    assert_eq!(files(), 1, "only the model file: a cancelled job leaves no file");
    assert_eq!(delete(&s.api(&format!("/jobs/{long}"))).status, 200);
    assert_eq!(get(&s.api(&format!("/jobs/{long}"))).status, 404);
    let train = detail["model"]["train_job_id"].as_str().expect("train job").to_string();
    assert_eq!(delete(&s.api(&format!("/jobs/{train}"))).status, 409);
}

#[test]
fn model_and_upload_mistakes_are_answered_with_what_to_change() {
    let dir = tempfile::tempdir().expect("tmp");
    let pools = dir.path().join("pools");
    std::fs::create_dir(&pools).expect("dir");
    std::fs::write(
        pools.join("shop.csv"),
        "amount,items,segment\n12.5,1,basic\n80.0,4,gold\n55.1,3,gold\n9.9,1,basic\n",
    )
    .expect("csv");
    std::fs::write(pools.join("shop.yaml"), "name: shop\nsource: { type: file, path: shop.csv }\n").expect("yaml");
    let mut cfg = config(dir.path());
    cfg.pools_dir = Some(pools);
    cfg.max_upload_bytes = 64 * 1024;
    let s = TestServer::start(cfg);

    let types = get(&s.api("/model-types"));
    let ids: Vec<&str> =
        types.body["model_types"].as_array().expect("types").iter().filter_map(|t| t["id"].as_str()).collect();
    assert_eq!(ids, ["gaussian_copula"], "only what this build trains");
    let expect = |body: Value, status: u16, words: &[&str]| {
        let r = post(&s.api("/models"), &body);
        assert_eq!(r.status, status, "{body} → {}", r.body);
        let detail = r.body["detail"].as_str().unwrap_or_default();
        for w in words {
            assert!(detail.contains(w), "{body}: `{detail}` lacks `{w}`");
        }
    };
    expect(json!({ "name": "n", "dataset": "shop", "model_type": "ctgan" }), 422, &["ctgan", "gaussian_copula"]);
    expect(json!({ "name": "n", "dataset": "shop", "model_type": "tvae" }), 422, &["tvae", "cannot be trained"]);
    expect(json!({ "name": "n", "dataset": "shop", "model_type": "magic" }), 422, &["unknown model_type"]);
    expect(json!({ "name": "n" }), 400, &["dataset"]);
    expect(json!({ "name": "n", "dataset": "nope" }), 404, &["nope", "shop"]);
    expect(json!({ "name": " ", "dataset": "shop" }), 400, &["name"]);
    expect(json!({ "name": "n", "dataset": "shop", "config": { "columns": ["amout"] } }), 400, &["amout", "amount"]);
    expect(json!({ "name": "n", "dataset": "shop", "config": { "epochs": 300 } }), 400, &["epochs", "columns"]);
    expect(json!({ "name": "n", "dataset": "shop", "config": { "marginals": "wobbly" } }), 400, &["wobbly"]);
    expect(json!({ "name": "n", "dataset": "shop", "colour": "red" }), 400, &["colour"]);

    // A model trained on a pool of the server (not an upload).
    let r = post(
        &s.api("/models"),
        &json!({ "name": "shop", "dataset": "shop", "config": { "columns": ["amount", "segment"] } }),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_string();
    expect(json!({ "name": "shop", "dataset": "shop" }), 409, &["exists already"]);
    assert_eq!(trained(&s, &id)["model"]["status"], "ready");
    let gen_ = |body: Value, status: u16, word: &str| {
        let r = post(&s.api(&format!("/models/{id}/generate")), &body);
        assert_eq!(r.status, status, "{body} → {}", r.body);
        assert!(r.body["detail"].as_str().unwrap_or_default().contains(word), "{body}: {}", r.body);
    };
    gen_(json!({ "num_rows": 0 }), 400, "num_rows");
    gen_(json!({ "format": "xml" }), 400, "xml");
    gen_(json!({ "conditions": { "colour": "red" } }), 400, "colour");
    gen_(json!({ "conditions": { "segment": "platinum" } }), 400, "platinum");
    gen_(json!({ "columns": ["items"] }), 400, "items");
    gen_(json!({ "rows": 5 }), 400, "rows");
    assert_eq!(post(&s.api("/models/none/generate"), &json!({})).status, 404);
    let empty_body = post_empty(&s.api(&format!("/models/{id}/generate")));
    assert_eq!(empty_body.status, 200, "every key has a default: {}", empty_body.body);
    assert_eq!(finished(&s, empty_body.body["job_id"].as_str().expect("job"))["output"]["rows"], 1000);

    // Training that cannot succeed fails the model with the reason.
    let up = upload(&s, &[("file", Some("empty.csv"), b"a,b\n")]);
    assert_eq!(up.status, 201, "{}", up.body);
    let r = post(&s.api("/models"), &json!({ "name": "hollow", "dataset": "empty" }));
    assert_eq!(r.status, 201, "{}", r.body);
    let failed = trained(&s, r.body["id"].as_str().expect("id"));
    assert_eq!(failed["model"]["status"], "failed", "{failed}");
    assert!(failed["model"]["status_reason"].as_str().unwrap_or_default().contains("no rows"), "{failed}");
    assert_eq!(failed["jobs"][0]["status"], "failed");
    assert_eq!(post(&s.api("/models/hollow/generate"), &json!({})).status, 409, "a failed model does not generate");

    // Uploads.
    let r = post(&s.api("/datasets"), &json!({ "file": "a,b" }));
    assert_eq!(r.status, 415, "{}", r.body);
    let r = upload(&s, &[("name", None, b"x")]);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap_or_default().contains("`file`"), "{}", r.body);
    let big = vec![b'1'; 100 * 1024];
    let r = upload(&s, &[("file", Some("big.csv"), &big)]);
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap_or_default().contains("max_upload_bytes"), "{}", r.body);
    let r = upload(&s, &[("file", Some("bad.parquet"), b"PAR1 this is not parquet")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap_or_default().contains("parquet"), "{}", r.body);
    let r = upload(&s, &[("file", Some("shop.csv"), b"x\n1\n")]);
    assert_eq!(r.status, 409, "a pool of that name exists: {}", r.body);
    let r = upload(&s, &[("file", Some("x.csv"), b"x\n1\n"), ("name", None, b"no spaces please")]);
    assert_eq!(r.status, 400, "{}", r.body);
    let r = upload(&s, &[("file", Some("x.csv"), b"x\n1\n"), ("format", None, b"xlsx")]);
    assert_eq!(r.status, 400, "{}", r.body);
    let r = upload(&s, &[("file", Some("x.csv"), b"x\n1\n"), ("colour", None, b"red")]);
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(get(&s.api("/datasets")).body.as_array().map(Vec::len), Some(1), "only the good upload is kept");
    let left: Vec<_> = std::fs::read_dir(dir.path().join("datasets")).expect("dir").collect();
    assert_eq!(left.len(), 1, "refused uploads leave no file");

    // Lists.
    assert_eq!(get(&s.api("/jobs?status=bogus")).status, 400);
    assert_eq!(get(&s.api("/jobs?limit=0")).status, 400);
    assert_eq!(get(&s.api("/models?limit=500")).status, 400);
    assert_eq!(get(&s.api("/models?colour=red")).status, 400);
    assert_eq!(get(&s.api("/jobs/none")).status, 404);
    assert_eq!(get(&s.api("/jobs/none/download")).status, 404);
    assert_eq!(delete(&s.api("/models/none")).status, 404);
    assert_eq!(delete(&s.api("/datasets/none")).status, 404);
}
