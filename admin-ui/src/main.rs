//! Entry point of the admin UI: mounts the app on `<body>`.

fn main() {
    admin_ui::run();
}
