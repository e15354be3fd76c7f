package testapp;

public class NamedImpl implements Named {
    @Override
    public String name() {
        return "impl";
    }
}
