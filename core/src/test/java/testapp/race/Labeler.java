package testapp.race;

public class Labeler {
    public String label(long id) {
        return "orig-" + id;
    }
}
