//! Organizations' ListAccounts through recorded responses: every page,
//! active accounts only, and an error with AWS's code.

use nacl_drift_aws::{OrgAccount, organization_accounts};
use nacl_drift_replay::{Recorded, Replay};
use serde_json::{Value, json};

fn account(id: &str, name: &str, state: &str) -> Value {
    // `Status` is being retired; `State` is what counts.
    let status = if state == "ACTIVE" {
        "ACTIVE"
    } else {
        "SUSPENDED"
    };
    json!({
        "Id": id, "Name": name, "Email": format!("{name}@example.com"),
        "Arn": format!("arn:aws:organizations::111122223333:account/o-exampleorgid/{id}"),
        "Status": status, "State": state, "JoinedMethod": "CREATED",
        "JoinedTimestamp": 1_795_168_800.0
    })
}

fn page(accounts: &[Value], next_token: Option<&str>) -> Recorded {
    let mut body = json!({ "Accounts": accounts });
    if let Some(token) = next_token {
        body["NextToken"] = json!(token);
    }
    Recorded::ok(body.to_string())
}

#[tokio::test]
async fn every_page_is_read_and_only_active_accounts_are_kept() {
    let replay = Replay::new([
        page(
            &[
                account("111122223333", "management", "ACTIVE"),
                account("222233334444", "closed", "SUSPENDED"),
            ],
            Some("page-2"),
        ),
        page(
            &[
                account("333344445555", "closing", "PENDING_CLOSURE"),
                account("444455556666", "prod-network", "ACTIVE"),
            ],
            None,
        ),
    ]);
    let accounts = organization_accounts(&replay.sdk_config())
        .await
        .expect("two pages");
    let named = |id: &str, name: &str| OrgAccount {
        id: id.parse().expect("account"),
        name: Some(name.to_owned()),
    };
    assert_eq!(
        accounts,
        [
            named("111122223333", "management"),
            named("444455556666", "prod-network")
        ]
    );
    let requests = replay.requests();
    assert_eq!(requests.len(), 2);
    assert!(!requests[0].contains("NextToken"), "{}", requests[0]);
    assert!(
        requests[1].contains("\"NextToken\":\"page-2\""),
        "{}",
        requests[1]
    );
}

#[tokio::test]
async fn a_refusal_names_the_call_and_the_code() {
    let replay = Replay::new([Recorded::json_error(
        400,
        "AWSOrganizationsNotInUseException",
        "Your account is not a member of an organization.",
    )]);
    let error = organization_accounts(&replay.sdk_config())
        .await
        .expect_err("not an organization");
    assert_eq!(
        error.to_string(),
        "ListAccounts failed: AWSOrganizationsNotInUseException: Your account is not a member of an organization."
    );
}
