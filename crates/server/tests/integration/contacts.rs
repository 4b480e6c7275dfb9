//! Contacts with the spec's validation, duplicates, custom fields and expansion.

use crate::common;

use common::{assert_error, TestApp};
use serde_json::{json, Value};

async fn create_returns_201_and_the_full_object(app: &TestApp) {
    let (s, c) = app
        .post("/v2/contacts", json!({"email": "carrie.customer@gmail.com", "mobile_phone": "+12025550195", "first_name": "Carrie", "last_name": "Customer",
            "company": "Acme Inc", "job_title": "Executive Assistant", "status": "Qualified", "timezone": "America/New_York", "employees": 12, "has_consent": true}))
        .await;
    assert_eq!(s, 201, "{c}");
    assert!(c["id"].as_str().unwrap().starts_with("CTC-"));
    assert_eq!(c["object"], "contact");
    assert_eq!(
        c["owner"], app.owner_user_id,
        "owned by the account owner by default"
    );
    assert_eq!(c["terms_of_sevice"], false);
    assert_eq!(c["has_consent"], true);
    assert_eq!(c["employees"], 12);
    assert_eq!(c["custom_fields"], json!([]));
    assert_eq!(c["creation_time"], "2025-06-15T15:06:40.000Z");
    for k in [
        "city",
        "country",
        "phone",
        "post_code",
        "salutation",
        "state",
        "street_address",
        "last_interacted_time",
    ] {
        assert_eq!(c[k], Value::Null, "{k}");
    }
    let (_, expanded) = app
        .get(&format!(
            "/v2/contacts/{}?expand=owner",
            c["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(expanded["owner"]["id"], app.owner_user_id);
    assert_eq!(expanded["owner"]["object"], "user");
}
both_backends!(
    create_returns_201_and_the_full_object,
    create_returns_201_and_the_full_object
);

async fn create_validation_and_duplicates(app: &TestApp) {
    assert_error(
        &app.post("/v2/contacts", json!({"first_name": "A", "last_name": "B"}))
            .await,
        400,
        "At least one of 'email' or 'mobile_phone' is required.",
        Some("email"),
    );
    assert_error(
        &app.post(
            "/v2/contacts",
            json!({"email": "a@b.com", "last_name": "B"}),
        )
        .await,
        400,
        "first_name is required",
        Some("first_name"),
    );
    assert_error(
        &app.post(
            "/v2/contacts",
            json!({"email": "a@b.com", "first_name": "A"}),
        )
        .await,
        400,
        "last_name is required",
        Some("last_name"),
    );
    assert_error(
        &app.post(
            "/v2/contacts",
            json!({"email": "john.doe@invalid", "first_name": "A", "last_name": "B"}),
        )
        .await,
        400,
        "Invalid email format: 'john.doe@invalid'",
        Some("email"),
    );
    // A possible number is accepted whatever its separators, and kept in E.164.
    for written in ["+15551234567", "+1 555 123 4567", "+1-555-123-4567"] {
        let email = format!("{}@possible.example", written.len());
        let (s, c) = app
            .post("/v2/contacts", json!({"mobile_phone": written, "phone": written, "email": email, "first_name": "A", "last_name": "B"}))
            .await;
        assert_eq!(s, 201, "{written}: {c}");
        assert_eq!(
            (c["mobile_phone"].as_str(), c["phone"].as_str()),
            (Some("+15551234567"), Some("+15551234567")),
            "{written}"
        );
        let (s, _) = app
            .delete(&format!("/v2/contacts/{}", c["id"].as_str().unwrap()))
            .await;
        assert_eq!(s, 200);
    }
    assert_error(
        &app.post("/v2/contacts", json!({"email": "short@example.com", "phone": "+91999999", "first_name": "A", "last_name": "B"})).await,
        400,
        "Invalid phone format: '+91999999'",
        Some("phone"),
    );
    assert_error(
        &app.post(
            "/v2/contacts",
            json!({"mobile_phone": "+91999999", "first_name": "A", "last_name": "B"}),
        )
        .await,
        400,
        "Invalid phone format: '+91999999'",
        Some("mobile_phone"),
    );
    assert_error(
        &app.post(
            "/v2/contacts",
            json!({"email": "a@b.com", "first_name": "A", "last_name": "B", "id": "CTC-MINE"}),
        )
        .await,
        400,
        "Unsupported fields",
        Some("id"),
    );
    assert_error(
        &app.post(
            "/v2/contacts",
            json!({"email": "a@b.com", "first_name": "A", "last_name": "B", "owner": "USR-NOPE"}),
        )
        .await,
        400,
        "No such user: 'USR-NOPE'",
        Some("owner"),
    );
    assert_error(
        &app.post("/v2/contacts", json!({"email": "a@b.com", "first_name": "A", "last_name": "B", "timezone": "Invalid/Timezone"})).await,
        400,
        "Invalid timezone: 'Invalid/Timezone'",
        Some("timezone"),
    );

    assert_eq!(
        app.post(
            "/v2/contacts",
            json!({"email": "carrie.customer@gmail.com", "first_name": "A", "last_name": "B"})
        )
        .await
        .0,
        201
    );
    assert_eq!(
        app.post(
            "/v2/contacts",
            json!({"mobile_phone": "+12025550195", "first_name": "A", "last_name": "B"})
        )
        .await
        .0,
        201
    );
    assert_error(
        &app.post(
            "/v2/contacts",
            json!({"email": "Carrie.Customer@gmail.com", "first_name": "A", "last_name": "B"}),
        )
        .await,
        409,
        "Contact already exists: 'Carrie.Customer@gmail.com'",
        Some("email"),
    );
    assert_error(
        &app.post(
            "/v2/contacts",
            json!({"mobile_phone": "+12025550195", "email": "fresh@example.com", "first_name": "A", "last_name": "B"}),
        )
        .await,
        409,
        "Contact already exists: '+12025550195'",
        Some("mobile_phone"),
    );
    let (_, list) = app.get("/v2/contacts").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    let (_, found) = app
        .get("/v2/contacts?email=CARRIE.customer@gmail.com")
        .await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
}
both_backends!(
    create_validation_and_duplicates,
    create_validation_and_duplicates
);

async fn update_rules_and_custom_fields(app: &TestApp) {
    for (name, label) in [("resume", "Résumé"), ("meeting_reason", "Reason")] {
        assert_eq!(
            app.post("/v2/custom-fields", json!({"name": name, "label": label}))
                .await
                .0,
            200
        );
    }
    let (_, c) = app.post("/v2/contacts", json!({"email": "p@example.com", "first_name": "P", "last_name": "Q", "custom_fields": [{"name": "resume", "value": "https://x.example/cv.pdf"}]})).await;
    let path = format!("/v2/contacts/{}", c["id"].as_str().unwrap());
    app.clock.advance(5_000);
    let (s, u) = app
        .patch(
            &path,
            json!({"company": "Acme", "status": "Hot lead", "custom_fields": [{"name": "meeting_reason", "value": {"topic": "demo"}}]}),
        )
        .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["company"], "Acme");
    assert_eq!(u["status"], Value::Null, "an unknown status becomes null");
    assert_eq!(
        u["custom_fields"],
        json!([{"name": "resume", "value": "https://x.example/cv.pdf"}, {"name": "meeting_reason", "value": {"topic": "demo"}}]),
        "only the listed fields change"
    );
    assert_eq!(u["last_updated_time"], "2025-06-15T15:06:45.000Z");
    assert_eq!(u["creation_time"], "2025-06-15T15:06:40.000Z");
    let (_, u2) = app
        .patch(
            &path,
            json!({"custom_fields": [{"name": "resume", "value": null}], "company": ""}),
        )
        .await;
    assert_eq!(
        u2["custom_fields"][0],
        json!({"name": "resume", "value": null})
    );
    assert_eq!(u2["company"], "");
    let (_, emptied) = app
        .patch(
            &path,
            json!({"timezone": "Europe/Paris", "phone": "+12025550100"}),
        )
        .await;
    assert_eq!(
        (emptied["timezone"].as_str(), emptied["phone"].as_str()),
        (Some("Europe/Paris"), Some("+12025550100"))
    );
    let (_, u2) = app.patch(&path, json!({"timezone": "", "phone": ""})).await;
    assert_eq!(
        (&u2["timezone"], &u2["phone"]),
        (&Value::Null, &Value::Null),
        "\"\" empties a time zone or a phone"
    );
    // The update schema types its fields without null (a custom field's value may be null).
    for field in ["company", "timezone", "employees", "owner", "has_consent"] {
        assert_error(
            &app.patch(&path, json!({field: null})).await,
            400,
            &format!("Invalid {field}: 'null'"),
            Some(field),
        );
    }

    assert_error(
        &app.patch(&path, json!({})).await,
        400,
        "At least one field must be provided to update.",
        Some("body"),
    );
    assert_error(
        &app.patch(&path, json!({"email": "new@example.com"})).await,
        400,
        "Identifier fields (email, mobile_phone) cannot be updated via this endpoint",
        Some("email"),
    );
    assert_error(
        &app.patch(&path, json!({"mobile_phone": "+12025550195"}))
            .await,
        400,
        "Identifier fields (email, mobile_phone) cannot be updated via this endpoint",
        Some("mobile_phone"),
    );
    assert_error(
        &app.patch(&path, json!({"phone": "+91999999"})).await,
        400,
        "Invalid phone format: '+91999999'",
        Some("phone"),
    );
    assert_error(
        &app.patch(&path, json!({"timezone": "Invalid/Timezone"}))
            .await,
        400,
        "Invalid timezone: 'Invalid/Timezone'",
        Some("timezone"),
    );
    assert_error(
        &app.patch(
            &path,
            json!({"custom_fields": [{"name": "unknown_field", "value": 1}]}),
        )
        .await,
        400,
        "Custom field 'unknown_field' does not exist in field library",
        Some("custom_fields"),
    );
    assert_error(
        &app.patch(&path, json!({"favourite_colour": "blue"})).await,
        400,
        "Unsupported field",
        Some("favourite_colour"),
    );
    assert_error(
        &app.patch(&path, json!({"has_consent": "yes"})).await,
        400,
        "Invalid has_consent: 'yes'",
        Some("has_consent"),
    );
    assert_error(
        &app.patch("/v2/contacts/CTC-NOTFOUND", json!({"city": "X"}))
            .await,
        404,
        "No such contact: 'CTC-NOTFOUND'",
        Some("id"),
    );
    assert_eq!(app.get(&path).await.1, u2, "failed updates change nothing");
}
both_backends!(
    update_rules_and_custom_fields,
    update_rules_and_custom_fields
);

/// Every text field has a maximum, checked on the server and refused naming the field: a
/// megabyte in any contact field, a custom field's label or value, is a 400.
async fn text_fields_are_bounded_and_refusals_name_them(app: &TestApp) {
    let megabyte = "x".repeat(1_048_000);
    for field in [
        "city",
        "company",
        "company_size",
        "country",
        "first_name",
        "job_title",
        "last_name",
        "post_code",
        "salutation",
        "state",
        "street_address",
    ] {
        let mut body = json!({"email": "bounded@example.com", "first_name": "A", "last_name": "B"});
        body[field] = json!("y".repeat(5001));
        let (s, e) = app.post("/v2/contacts", body).await;
        assert_eq!((s, e["param"].as_str()), (400, Some(field)), "{field}: {e}");
        assert!(e["message"].as_str().unwrap().contains("at most"), "{e}");
    }
    let (s, c) = app
        .post("/v2/contacts", json!({"email": "bounded@example.com", "first_name": "A", "last_name": "B", "city": "y".repeat(255)}))
        .await;
    assert_eq!(s, 201, "255 characters fit: {c}");
    let path = format!("/v2/contacts/{}", c["id"].as_str().unwrap());
    let (s, e) = app
        .patch(&path, json!({"street_address": "z".repeat(501)}))
        .await;
    assert_eq!(
        (s, e["param"].as_str()),
        (400, Some("street_address")),
        "{e}"
    );

    let (s, e) = app
        .post(
            "/v2/custom-fields",
            json!({"name": "size", "label": "L".repeat(256)}),
        )
        .await;
    assert_eq!((s, e["param"].as_str()), (400, Some("label")), "{e}");
    let (s, _) = app
        .post(
            "/v2/custom-fields",
            json!({"name": "size", "label": "Size"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, e) = app
        .patch(
            &path,
            json!({"custom_fields": [{"name": "size", "value": megabyte}]}),
        )
        .await;
    assert_eq!(
        (s, e["param"].as_str()),
        (400, Some("custom_fields.value")),
        "{e}"
    );
}
both_backends!(
    text_fields_are_bounded_and_refusals_name_them,
    text_fields_are_bounded_and_refusals_name_them
);

/// A stored id without its kind's form is read back as an error, never as some other id: a
/// contact whose owner column was damaged does not load.
async fn a_damaged_stored_id_is_an_error_not_a_value(app: &TestApp) {
    use slotline::store::{contacts, StoreError};
    let (s, c) = app
        .post(
            "/v2/contacts",
            json!({"email": "damaged@example.com", "first_name": "D", "last_name": "A"}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let id: slotline_domain::id::ContactId = c["id"].as_str().unwrap().parse().unwrap();
    assert!(contacts::get(&app.db, &app.account_id, &id)
        .await
        .unwrap()
        .is_some());
    sqlx::query("UPDATE contacts SET owner_id = $1 WHERE id = $2")
        .bind("TM-NOTAUSER")
        .bind(id.as_str())
        .execute(&mut *app.db.writer().await.unwrap())
        .await
        .unwrap();
    match contacts::get(&app.db, &app.account_id, &id).await {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("TM-NOTAUSER"), "{why}"),
        other => panic!("a team's id read as a contact's owner: {other:?}"),
    }
}

both_backends!(
    a_damaged_stored_id_is_an_error_not_a_value,
    a_damaged_stored_id_is_an_error_not_a_value
);
