//! Seed 000 over real HTTP: context analysis, a sample and its feedback, a
//! corpus of related tables exported to every format and loaded back
//! (PostgreSQL and SQLite with their FOREIGN KEYs, MySQL through a SQL
//! parser, XLSX through calamine), downloads with their media types, a
//! cancelled job, the job list's pages, and seed 004's identities.

mod common;

use common::{TestServer, agent, config, delete, get, post, post_empty};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, Instant};

fn wait_done(s: &TestServer, id: &str) -> Value {
    let t = Instant::now();
    loop {
        let j = get(&s.api(&format!("/jobs/{id}")));
        let status = j.body["status"].as_str().unwrap_or("").to_string();
        if ["completed", "failed", "cancelled"].contains(&status.as_str()) {
            return j.body;
        }
        assert!(t.elapsed() < Duration::from_secs(120), "job {id} still {status}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn bytes(url: &str) -> (u16, String, Vec<u8>) {
    let mut r = agent().get(url).call().expect("GET");
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (status, ct, r.body_mut().with_config().limit(256 << 20).read_to_vec().expect("body"))
}

#[test]
fn a_description_finds_its_domain_tables_and_volumes() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let r = post(
        &s.api("/context/analyze"),
        &json!({ "context": "Healthcare clinic with 200 patients needs patient records and appointment scheduling" }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["domain"], "healthcare");
    assert!(r.body["confidence"].as_f64().expect("confidence") > 0.8, "{}", r.body);
    let req = r.body["requirements"].as_array().expect("requirements");
    assert_eq!((req[0]["name"].as_str(), req[0]["estimated_volume"].as_str()), (Some("patients"), Some("200")));
    assert_eq!(req[0]["data_type"], "tabular");
    assert!(r.body["keywords"].as_array().expect("keywords").contains(&json!("patient")));
    assert_eq!(r.body["suggested_schemas"], json!(["patients", "providers", "appointments", "prescriptions"]));
    assert_eq!(post(&s.api("/context/analyze"), &json!({ "context": "" })).status, 400);
    assert_eq!(post(&s.api("/context/analyze"), &json!({ "contxt": "x" })).status, 400);
    let caps = get(&s.api("/capabilities"));
    assert_eq!(caps.body["domains"].as_array().expect("domains").len(), 10);
}

/// A corpus of three related tables (legal: clients ← cases ← documents),
/// from a reviewed sample, exported to every format and loaded back.
#[test]
fn a_corpus_of_related_tables_exports_to_every_format_and_loads_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    // A sample of documents brings the tables it references.
    let r = post(
        &s.api("/generate/sample"),
        &json!({ "context": "Legal firm case management with clients, cases, and documents", "sample_size": 5, "schemas": ["documents"], "seed": 9 }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["domain"], "legal");
    let names: Vec<&str> =
        r.body["schemas"].as_array().expect("schemas").iter().filter_map(|x| x["name"].as_str()).collect();
    assert_eq!(names, ["clients", "cases", "documents"]);
    assert_eq!(r.body["warnings"].as_array().expect("warnings").len(), 2, "{}", r.body);
    let cases: HashSet<&str> =
        r.body["samples"]["cases"].as_array().expect("cases").iter().filter_map(|c| c["case_id"].as_str()).collect();
    assert!(
        r.body["samples"]["documents"]
            .as_array()
            .expect("docs")
            .iter()
            .all(|d| cases.contains(d["case_id"].as_str().unwrap_or("")))
    );
    let doc_fields = &r.body["schemas"][2]["fields"];
    assert_eq!(
        doc_fields[1],
        json!({ "name": "case_id", "type": "reference", "mapping": "UNIVERSE_KEY_REFERENCE", "required": true, "references": "cases.case_id", "constraints": { "generator": "cases", "field": "case_id", "distribution": "zipf", "s": 1.1 } })
    );
    let sample_id = r.body["job_id"].as_str().expect("job").to_string();
    // Feedback: email required, a phone added (seed 000 writes PHONE), company removed; then the corpus.
    let fb = post(
        &s.api("/feedback"),
        &json!({
            "job_id": sample_id, "approved": true,
            "schema_feedback": [{
                "schema_name": "clients", "feedback_type": "modify",
                "field_adjustments": { "email": { "required": true } },
                "add_fields": [{ "name": "mobile", "type": "PHONE" }],
                "remove_fields": ["company"],
            }],
            "start_corpus": true, "corpus_size": 3000, "seed": 5,
        }),
    );
    assert_eq!(fb.status, 200, "{}", fb.body);
    assert_eq!(fb.body["status"], "in_progress");
    let clients = &fb.body["schemas"][0]["fields"];
    let fields: Vec<&str> = clients.as_array().expect("fields").iter().filter_map(|f| f["name"].as_str()).collect();
    assert_eq!(fields, ["client_id", "name", "email", "phone", "mobile"]);
    let id = fb.body["corpus_job_id"].as_str().expect("corpus job").to_string();
    let job = wait_done(&s, &id);
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["detail"]["percent_complete"], 100.0);
    assert_eq!(job["detail"]["completed_schemas"], 3);
    let rows: Vec<u64> = job["detail"]["schemas"]
        .as_array()
        .expect("per schema")
        .iter()
        .map(|x| x["total_records"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(rows.iter().sum::<u64>(), 3000, "{rows:?}");
    assert_eq!(rows, [273, 545, 2182], "the template's proportions 300 : 600 : 2400");
    let st = get(&s.api(&format!("/jobs/{id}/status")));
    assert_eq!(
        st.body,
        json!({ "job_id": id, "status": "completed", "stage": "done", "percent_complete": 100.0, "error": null })
    );

    // CSV: the foreign keys hold across the files.
    let ex = post(&s.api(&format!("/jobs/{id}/export")), &json!({ "format": "csv" }));
    assert_eq!(ex.status, 200, "{}", ex.body);
    assert_eq!(ex.body["load_order"], json!(["clients", "cases", "documents"]));
    let read_csv = |table: &str| -> Vec<Vec<String>> {
        let (status, ct, b) = bytes(&s.url(ex.body["downloads"][table].as_str().expect("url")));
        assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"));
        String::from_utf8(b).expect("utf8").lines().map(|l| l.split(',').map(str::to_string).collect()).collect()
    };
    let (clients, cases, docs) = (read_csv("clients"), read_csv("cases"), read_csv("documents"));
    assert_eq!((clients.len(), cases.len(), docs.len()), (274, 546, 2183));
    assert_eq!(clients[0], ["client_id", "name", "email", "phone", "mobile"]);
    let client_ids: HashSet<&String> = clients[1..].iter().map(|r| &r[0]).collect();
    let case_ids: HashSet<&String> = cases[1..].iter().map(|r| &r[0]).collect();
    assert_eq!(client_ids.len(), 273, "client ids are unique");
    assert!(cases[1..].iter().all(|r| client_ids.contains(&r[1])), "every case's client exists");
    assert!(docs[1..].iter().all(|r| case_ids.contains(&r[1])), "every document's case exists");
    assert!(clients[1..].iter().all(|r| r[2].contains('@')), "email is required now");

    // JSON, JSON Lines and Parquet: the same rows.
    for (format, ct) in
        [("json", "application/json"), ("jsonl", "application/x-ndjson"), ("parquet", "application/vnd.apache.parquet")]
    {
        let (status, got_ct, b) = bytes(&s.api(&format!("/jobs/{id}/download/cases?format={format}")));
        assert_eq!((status, got_ct.as_str()), (200, ct), "{format}");
        let n = match format {
            "json" => serde_json::from_slice::<Vec<Value>>(&b).expect("json").len(),
            "jsonl" => String::from_utf8(b).expect("utf8").lines().count(),
            _ => {
                let path = dir.path().join("cases.parquet");
                std::fs::write(&path, &b).expect("write");
                let f = std::fs::File::open(&path).expect("open");
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
                    .expect("parquet")
                    .build()
                    .expect("reader")
                    .map(|b| b.expect("batch").num_rows())
                    .sum()
            }
        };
        assert_eq!(n, 545, "{format}");
    }
    // XLSX, opened back with calamine.
    let ex = post(&s.api(&format!("/jobs/{id}/export")), &json!({ "format": "xlsx", "schemas": ["cases"] }));
    assert_eq!(ex.status, 200, "{}", ex.body);
    assert_eq!(ex.body["export_paths"].as_object().expect("paths").len(), 1);
    let (status, ct, b) = bytes(&s.url(ex.body["downloads"]["cases"].as_str().expect("url")));
    assert_eq!((status, ct.as_str()), (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    let path = dir.path().join("cases.xlsx");
    std::fs::write(&path, &b).expect("write");
    use calamine::Reader as _;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).expect("xlsx opens");
    let sheet = book.worksheet_range("cases").expect("sheet cases");
    assert_eq!(sheet.height(), 546);
    assert_eq!(sheet.get((0, 0)).map(|c| c.to_string()), Some("case_id".to_string()));
    assert_eq!(sheet.get((1, 0)).map(|c| c.to_string()), Some(cases[1][0].clone()));

    // SQL for SQLite: loaded in order with foreign keys enforced.
    let db = dir.path().join("legal.db");
    let mut script = String::from("PRAGMA foreign_keys = ON;\n");
    for t in ["clients", "cases", "documents"] {
        let (status, ct, b) = bytes(&s.api(&format!("/jobs/{id}/download/{t}?format=sql&sql_dialect=sqlite")));
        assert_eq!((status, ct.as_str()), (200, "application/sql; charset=utf-8"));
        script.push_str(&String::from_utf8(b).expect("utf8"));
    }
    let file = dir.path().join("legal.sqlite.sql");
    std::fs::write(&file, &script).expect("write");
    let out = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg(format!(".read {}", file.display()))
        .output()
        .expect("sqlite3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let q = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("PRAGMA foreign_keys = ON; PRAGMA foreign_key_check; SELECT (SELECT count(*) FROM clients) || '|' || (SELECT count(*) FROM cases) || '|' || (SELECT count(*) FROM documents);")
        .output()
        .expect("sqlite3");
    assert_eq!(String::from_utf8_lossy(&q.stdout).trim(), "273|545|2182");
    let fk = std::process::Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT count(*) FROM pragma_foreign_key_list('documents')")
        .output()
        .expect("sqlite3");
    assert_eq!(String::from_utf8_lossy(&fk.stdout).trim(), "1", "documents declares its FOREIGN KEY");

    // MySQL: every statement parses as MySQL.
    let ex =
        post(&s.api(&format!("/jobs/{id}/export")), &json!({ "format": "sql", "options": { "sql_dialect": "mysql" } }));
    assert_eq!(ex.status, 200, "{}", ex.body);
    for t in ["clients", "cases", "documents"] {
        let (_, _, b) = bytes(&s.url(ex.body["downloads"][t].as_str().expect("url")));
        let sql = String::from_utf8(b).expect("utf8");
        let parsed = sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::MySqlDialect {}, &sql)
            .unwrap_or_else(|e| panic!("{t}.mysql.sql does not parse as MySQL: {e}"));
        assert!(parsed.len() >= 4, "{t}: CREATE, START TRANSACTION, INSERTs, COMMIT");
        assert!(sql.contains("CREATE TABLE `"), "{t}");
    }

    // PostgreSQL: loaded in order, the constraints enforced by the server.
    let Some(url) = sdg_testkit::server("SDG_TEST_POSTGRES_URL") else { return };
    let psql = |args: &[&str]| common::psql(&url, args);
    psql(&["-c", "DROP SCHEMA IF EXISTS corpus_test CASCADE; CREATE SCHEMA corpus_test"]);
    for t in ["clients", "cases", "documents"] {
        let (_, _, b) = bytes(&s.api(&format!("/jobs/{id}/download/{t}?format=sql")));
        let f = dir.path().join(format!("{t}.pg.sql"));
        std::fs::write(&f, [b"SET search_path TO corpus_test;\n".to_vec(), b].concat()).expect("write");
        psql(&["-f", f.to_str().expect("path")]);
    }
    let got = psql(&[
        "-c",
        "SELECT (SELECT count(*) FROM corpus_test.clients), (SELECT count(*) FROM corpus_test.cases), (SELECT count(*) FROM corpus_test.documents), (SELECT count(*) FROM information_schema.table_constraints WHERE table_schema = 'corpus_test' AND constraint_type = 'FOREIGN KEY')",
    ]);
    assert_eq!(got, "273|545|2182|2");
    psql(&["-c", "DROP SCHEMA corpus_test CASCADE"]);

    // Deleting the job deletes its files.
    let files = dir.path().join("jobs").join(&id);
    assert!(files.join("exports").is_dir());
    assert_eq!(delete(&s.api(&format!("/jobs/{id}"))).status, 200);
    assert!(!files.exists(), "the corpus files are gone");
    assert_eq!(bytes(&s.api(&format!("/jobs/{id}/download/cases"))).0, 404);
}

#[test]
fn corpus_jobs_cancel_page_and_refuse_mistakes() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(sdg_control_api::ServeConfig { job_workers: 1, ..config(dir.path()) });
    // A large corpus, cancelled while it runs: no files kept.
    let big = post(
        &s.api("/generate/corpus"),
        &json!({ "domain_hint": "iot", "corpus_size": 50_000_000, "batch_size": 10000 }),
    );
    assert_eq!(big.status, 202, "{}", big.body);
    let id = big.body["job_id"].as_str().expect("id").to_string();
    let t = Instant::now();
    while get(&s.api(&format!("/jobs/{id}"))).body["status"] != "running" {
        assert!(t.elapsed() < Duration::from_secs(30), "the job starts");
        std::thread::sleep(Duration::from_millis(20));
    }
    // A second one waits behind it (one job worker).
    let small =
        post(&s.api("/generate/corpus"), &json!({ "domain_hint": "hr", "corpus_size": 500, "export_format": "csv" }));
    let small_id = small.body["job_id"].as_str().expect("id").to_string();
    assert_eq!(get(&s.api(&format!("/jobs/{small_id}/status"))).body["status"], "pending");
    assert_eq!(post_empty(&s.api(&format!("/jobs/{id}/cancel"))).status, 200);
    assert_eq!(wait_done(&s, &id)["status"], "cancelled");
    assert!(!dir.path().join("jobs").join(&id).exists(), "a cancelled corpus keeps no files");
    let done = wait_done(&s, &small_id);
    assert_eq!(done["status"], "completed", "{done}");
    assert!(
        dir.path().join("jobs").join(&small_id).join("exports/employees.csv").is_file(),
        "export_format exported it"
    );
    assert_eq!(post(&s.api(&format!("/jobs/{id}/export")), &json!({ "format": "csv" })).status, 409);
    // Pages: skip, limit, status, total, cursors.
    for _ in 0..3 {
        assert_eq!(post(&s.api("/generate/sample"), &json!({ "domain_hint": "saas", "sample_size": 2 })).status, 200);
    }
    let all = get(&s.api("/jobs?limit=100"));
    assert_eq!(all.body["total"], 5);
    let page = get(&s.api("/jobs?limit=2"));
    assert_eq!((page.body["items"].as_array().map(Vec::len), &page.body["has_more"]), (Some(2), &json!(true)));
    let next = get(&s.api(&format!("/jobs?limit=2&cursor={}", page.body["next_cursor"].as_str().expect("cursor"))));
    assert_eq!(next.body["items"][0]["id"], all.body["items"][2]["id"]);
    let last = get(&s.api(&format!("/jobs?limit=2&cursor={}", next.body["next_cursor"].as_str().expect("cursor"))));
    assert_eq!((last.body["items"].as_array().map(Vec::len), &last.body["has_more"]), (Some(1), &json!(false)));
    assert!(last.body.get("next_cursor").is_none());
    assert_eq!(get(&s.api("/jobs?skip=4&limit=100")).body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(get(&s.api("/jobs?status=cancelled")).body["total"], 1);
    assert_eq!(get(&s.api("/jobs?job_type=sample")).body["total"], 3);
    assert_eq!(get(&s.api("/jobs?limit=101")).status, 400);
    assert_eq!(get(&s.api("/jobs?cursor=zz")).status, 400);
    // Mistakes: named, with the choices.
    let r = post(&s.api("/generate/sample"), &json!({ "domain_hint": "legal", "schemas": ["casse"] }));
    assert_eq!(r.status, 400);
    assert_eq!(r.body["errors"][0]["hint"], "did you mean `cases`?");
    assert_eq!(post(&s.api("/generate/corpus"), &json!({ "domain_hint": "hr", "export_format": "pdf" })).status, 400);
    assert_eq!(post(&s.api("/generate/corpus"), &json!({ "domain_hint": "hr", "corpus_size": 0 })).status, 400);
    assert_eq!(post(&s.api("/generate/corpus"), &json!({})).status, 400);
    let r = post(&s.api("/feedback"), &json!({ "job_id": small_id, "schema_feedback": [] }));
    assert_eq!(r.status, 400, "feedback is for samples");
    let sample = post(&s.api("/generate/sample"), &json!({ "domain_hint": "hr" }));
    let sid = sample.body["job_id"].as_str().expect("id");
    let r = post(
        &s.api("/feedback"),
        &json!({ "job_id": sid, "schema_feedback": [{ "schema_name": "departments", "feedback_type": "remove" }] }),
    );
    assert_eq!(r.status, 400, "employees reference departments: {}", r.body);
    let r = post(
        &s.api("/feedback"),
        &json!({ "job_id": sid, "schema_feedback": [{ "schema_name": "employees", "remove_fields": ["employee_id"] }] }),
    );
    assert_eq!(r.status, 400, "a referenced key stays: {}", r.body);
    let r = post(
        &s.api("/feedback"),
        &json!({ "job_id": sid, "schema_feedback": [{ "schema_name": "employees", "add_fields": [{ "name": "x", "type": "emial" }] }] }),
    );
    assert_eq!(r.status, 400);
    assert!(r.body["errors"][0]["hint"].as_str().expect("hint").contains("email"), "{}", r.body);
    assert_eq!(post(&s.api("/feedback"), &json!({ "job_id": "nope" })).status, 404);
    assert_eq!(bytes(&s.api(&format!("/jobs/{small_id}/download/employees?format=pdf"))).0, 400);
    assert_eq!(bytes(&s.api(&format!("/jobs/{small_id}/download/nope"))).0, 404);
}

#[test]
fn identities_are_coherent_people() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::start(config(dir.path()));
    let r = post(&s.api("/identities"), &json!({ "count": 50, "locale": "de_DE", "seed": 3 }));
    assert_eq!(r.status, 200, "{}", r.body);
    let people = r.body["data"].as_array().expect("data");
    assert_eq!(people.len(), 50);
    let fold = |s: &str| -> String {
        s.to_lowercase()
            .replace('ä', "ae")
            .replace('ö', "oe")
            .replace('ü', "ue")
            .replace('ß', "ss")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect()
    };
    let coherent = people
        .iter()
        .filter(|p| {
            let email = fold(p["email"].as_str().unwrap_or(""));
            let (first, last) =
                (fold(p["first_name"].as_str().unwrap_or("")), fold(p["last_name"].as_str().unwrap_or("")));
            p["full_name"].as_str().is_some_and(|n| n.contains(p["last_name"].as_str().unwrap_or("?")))
                && (email.contains(&last) || email.contains(&first))
        })
        .count();
    assert!(coherent >= 45, "the name makes the email: {coherent} of 50");
    assert!(people.iter().all(|p| p["country_code"] == "DE"));
    let again = post(&s.api("/identities"), &json!({ "count": 50, "locale": "de_DE", "seed": 3 }));
    assert_eq!(again.body["data"], r.body["data"]);
    let some = post(&s.api("/identities"), &json!({ "count": 2, "fields": ["full_name", "iban"] }));
    assert_eq!(some.status, 200, "{}", some.body);
    assert_eq!(some.body["data"][0].as_object().map(|o| o.len()), Some(2));
    let r = post(&s.api("/identities"), &json!({ "fields": ["full_nme"] }));
    assert_eq!((r.status, r.body["errors"][0]["hint"].as_str()), (400, Some("did you mean `full_name`?")));
    assert_eq!(post(&s.api("/identities"), &json!({ "count": 100_000 })).status, 422);
    assert_eq!(post(&s.api("/identities"), &json!({ "locale": "xx_XX" })).status, 400);
}
