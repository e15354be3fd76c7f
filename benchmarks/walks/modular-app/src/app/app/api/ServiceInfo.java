package app.api;

public final class ServiceInfo {
    private ServiceInfo() {}

    public static final String NAME = "modapp";
}
