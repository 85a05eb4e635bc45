//! Entry point of the admin UI: mounts the app on `<body>`.

mod app;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
