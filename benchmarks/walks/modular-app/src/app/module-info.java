module app {
    requires lib;
    requires jdk.httpserver;
    exports app.api;
}
