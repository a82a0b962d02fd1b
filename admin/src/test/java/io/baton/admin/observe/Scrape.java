package io.baton.admin.observe;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Test helper: GETs from Baton's metrics/health port and reads values out of Prometheus text. */
final class Scrape {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Scrape() {
    }

    static HttpResponse<String> get(int port, String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).GET().build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    }

    static String metrics(int port) throws Exception {
        HttpResponse<String> r = get(port, "/metrics");
        if (r.statusCode() != 200) {
            throw new AssertionError("/metrics answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    /**
     * The sum of the samples named {@code name} whose labels include every {@code key=value} pair
     * given; NaN when there is none.
     */
    static double value(String text, String name, String... labels) {
        double sum = 0;
        boolean found = false;
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || !line.startsWith(name)) {
                continue;
            }
            String rest = line.substring(name.length());
            if (!rest.startsWith(" ") && !rest.startsWith("{")) {
                continue;
            }
            String labelPart = rest.startsWith("{") ? rest.substring(0, rest.indexOf('}') + 1) : "";
            boolean all = true;
            for (String l : labels) {
                int eq = l.indexOf('=');
                if (!labelPart.contains(l.substring(0, eq) + "=\"" + l.substring(eq + 1) + "\"")) {
                    all = false;
                    break;
                }
            }
            if (all) {
                String v = line.substring(line.lastIndexOf(' ') + 1);
                sum += Double.parseDouble(v);
                found = true;
            }
        }
        return found ? sum : Double.NaN;
    }
}
