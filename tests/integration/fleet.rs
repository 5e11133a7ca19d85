//! The README's fleet recipes, run as written: the Prometheus alerting rules
//! (one per class) through `promtool check rules` and `promtool test rules`,
//! the systemd unit's command for node_exporter's textfile collector, and an
//! Ansible ad-hoc run over an inventory whose per-host JSON the README's `jq`
//! one-liner merges into one table.

use std::path::Path;
use std::process::Command;

use crate::servers;
use crate::util::{bin, fcgi_doctor};

/// The README's one-liner, kept equal to it by `the_readme_shows_it`.
const JQ_TABLE: &str = r#"jq -r '(input_filename | split("/") | last) as $host | .stdout | fromjson | [$host, .status, ([.findings[] | select(.severity != "info") | .code] | unique | join(" "))] | @tsv' /tmp/fcgi-doctor/*"#;

fn contrib(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contrib")
        .join(path)
}

#[test]
fn the_alerting_rules_load_fire_and_cover_every_class() {
    let Ok(promtool) = servers::which("promtool") else {
        crate::util::require(false, "promtool (apt-get install prometheus)");
        return;
    };
    let rules = contrib("prometheus/fcgi-doctor-alerts.yml");
    let out = Command::new(&promtool)
        .args(["check", "rules"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The unit test feeds a critical permission_denied finding and expects its
    // alert, and none for an informational finding.
    let out = Command::new(&promtool)
        .args(["test", "rules", "fcgi-doctor-alerts.test.yml"])
        .current_dir(contrib("prometheus"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&rules).unwrap();
    let registry = fcgi_doctor(["explain", "--all", "--format", "json"]).run();
    let mut classes: Vec<String> = registry.json()["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["class"].as_str().unwrap().to_string())
        .collect();
    classes.sort();
    classes.dedup();
    for class in classes {
        assert!(
            text.contains(&format!("class=\"{class}\"")),
            "no alert for {class}"
        );
    }
}

#[test]
fn the_textfile_unit_writes_a_whole_file_the_collector_reads() {
    let unit = std::fs::read_to_string(contrib("systemd/fcgi-doctor-textfile.service")).unwrap();
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/bin/sh -c '"))
        .and_then(|l| l.strip_suffix('\''))
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let script = exec
        .replace(
            "/var/lib/prometheus/node-exporter",
            dir.path().to_str().unwrap(),
        )
        .replace("/usr/local/bin/fcgi-doctor", bin().to_str().unwrap());
    let out = Command::new("/bin/sh")
        .args(["-c", &script])
        .env("FCGI_DOCTOR_TEST_CONFIG", empty.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["fcgi-doctor.prom"]);
    let text = std::fs::read_to_string(dir.path().join("fcgi-doctor.prom")).unwrap();
    assert!(
        text.contains("fcgi_doctor_status{command=\"doctor\"} 0"),
        "{text}"
    );
    crate::monitoring::assert_promtool(&text);
}

#[test]
fn an_ansible_ad_hoc_run_merges_into_one_table() {
    let ansible = servers::which("ansible");
    let jq = servers::which("jq");
    if !crate::util::require(ansible.is_ok(), "ansible (pip install ansible-core)")
        || !crate::util::require(jq.is_ok(), "jq (apt-get install jq)")
    {
        return;
    }
    // Two hosts of one machine: web1 with nothing FastCGI, web2 a php-fpm
    // Docker image's configuration (the root both read is a fixture).
    let root = tempfile::tempdir().unwrap();
    let etc = root.path().join("usr/local/etc");
    std::fs::create_dir_all(etc.join("php-fpm.d")).unwrap();
    std::fs::write(etc.join("php-fpm.conf"), "include=etc/php-fpm.d/*.conf\n").unwrap();
    std::fs::write(
        etc.join("php-fpm.d/zz-docker.conf"),
        "[www]\nlisten = 9000\n",
    )
    .unwrap();
    // web1's nginx serves nothing FastCGI.
    std::fs::create_dir_all(root.path().join("etc/nginx")).unwrap();
    std::fs::write(
        root.path().join("etc/nginx/nginx.conf"),
        "events {}\nhttp {}\n",
    )
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let python = if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    std::fs::write(
        work.path().join("hosts"),
        format!(
            "web1 ansible_connection=local ansible_python_interpreter={python} \
             doctor_args='--nginx-config /etc/nginx/nginx.conf'\n\
             web2 ansible_connection=local ansible_python_interpreter={python} \
             doctor_args='--fpm-config /usr/local/etc/php-fpm.conf'\n"
        ),
    )
    .unwrap();
    let tree = work.path().join("tree");
    let out = Command::new(ansible.unwrap())
        .arg("all")
        .arg("-i")
        .arg(work.path().join("hosts"))
        .args(["-m", "command", "-a"])
        .arg(format!(
            "{} doctor --format json {{{{ doctor_args }}}}",
            bin().to_str().unwrap()
        ))
        .arg("--tree")
        .arg(&tree)
        .env("FCGI_DOCTOR_TEST_CONFIG", root.path())
        .env("ANSIBLE_LOCAL_TEMP", work.path().join("ansible-tmp"))
        .env("ANSIBLE_HOME", work.path().join("ansible-home"))
        .output()
        .unwrap();
    // web2 is CRITICAL: ansible reports a failed command, and says so.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let command = JQ_TABLE.replace("/tmp/fcgi-doctor/*", &format!("{}/*", tree.display()));
    let out = Command::new("/bin/sh")
        .args(["-c", &command])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "web1\tok\t\nweb2\tcritical\tFD1807\n"
    );
}

#[test]
fn the_readme_shows_it() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(
        readme.contains(JQ_TABLE),
        "the README's jq one-liner differs"
    );
}
