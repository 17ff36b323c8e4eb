//! The quickstart end to end: its router against LocalClerk over real HTTP, and every curl
//! command it prints answering the status it promises.

use clerk_examples::quickstart::{app, tries};
use clerk_testing::LocalClerk;

#[tokio::test]
async fn every_printed_command_answers_its_promised_status() {
    let local = LocalClerk::start().await;
    let demo = clerk_testing::demo::seed(&local);
    let commands = tries(&demo.ada_token(&local, 600), &demo.bob_token(&local, 600));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move { axum::serve(listener, app(local.clerk())).await });

    let http = reqwest::Client::new();
    let statuses: Vec<u16> = commands.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [200, 401, 200, 200, 200, 403],
        "the demo shows 200, 401 and 403"
    );
    for command in &commands {
        let curl = command.curl(&base);
        assert!(curl.starts_with("curl -i "), "{curl}");
        assert!(curl.ends_with(&format!("{base}{}", command.path)), "{curl}");
        let mut request = http.get(format!("{base}{}", command.path));
        if let Some(token) = &command.token {
            assert!(
                curl.contains(&format!("Authorization: Bearer {token}")),
                "{curl}"
            );
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        assert_eq!(
            response.status().as_u16(),
            command.status,
            "{}: {curl}",
            command.what
        );
        let body: serde_json::Value = response.json().await.expect("JSON body");
        match command.status {
            200 if command.path == "/profile" => assert_eq!(body["email"], "ada@example.com"),
            200 if command.path == "/invoices" => assert_eq!(body["org_id"], demo.acme.id.as_str()),
            200 if command.path == "/me" => {
                assert_eq!(body["user_id"], demo.ada.id.as_str());
                assert_eq!(body["org_role"], "org:admin");
            }
            401 => assert_eq!(body["errors"][0]["code"], "session-token-and-uat-missing"),
            403 => assert_eq!(body["errors"][0]["code"], "forbidden"),
            _ => {}
        }
    }
    server.abort();
}

#[actix_web::test]
async fn the_actix_quickstart_answers_the_same() {
    use actix_web::{App, test};
    use clerk_actix::ClerkMiddleware;
    use clerk_examples::quickstart_actix::routes;

    let local = LocalClerk::start().await;
    let demo = clerk_testing::demo::seed(&local);
    let commands = tries(&demo.ada_token(&local, 600), &demo.bob_token(&local, 600));
    let app = test::init_service(
        App::new()
            .wrap(ClerkMiddleware::new(local.clerk()))
            .configure(routes),
    )
    .await;
    for command in &commands {
        let mut request = test::TestRequest::get().uri(command.path);
        if let Some(token) = &command.token {
            request = request.insert_header(("authorization", format!("Bearer {token}")));
        }
        let response = test::call_service(&app, request.to_request()).await;
        assert_eq!(
            response.status().as_u16(),
            command.status,
            "{}",
            command.what
        );
        let body: serde_json::Value = test::read_body_json(response).await;
        match (command.status, command.path) {
            (200, "/profile") => assert_eq!(body["email"], "ada@example.com"),
            (200, "/me") => assert_eq!(body["org_role"], "org:admin"),
            (401, _) => assert_eq!(body["errors"][0]["code"], "session-token-and-uat-missing"),
            (403, _) => assert_eq!(body["errors"][0]["code"], "forbidden"),
            _ => {}
        }
    }
}
