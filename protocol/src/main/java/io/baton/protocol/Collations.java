package io.baton.protocol;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
  * The common collations: id (as in the handshake's one-byte character_set and the column
  * definition's two-byte character_set) to name to MySQL character set to Java charset.
  *
  * <p>https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_character_set.html;
  * the ids are those of {@code information_schema.COLLATIONS} on MySQL 8.0 (MariaDB shares them
  * below 256). Names of the utf8mb3 collations are given as MySQL 8.0.30+ reports them; the older
  * {@code utf8_*} spellings are accepted by {@link #byName}. Unknown ids decode text as UTF-8.
  */
public final class Collations {

    /**
      * One collation.
      *
      * @param id the collation id
      * @param name the collation name, e.g. {@code utf8mb4_0900_ai_ci}
      * @param charsetName the MySQL character set, e.g. {@code utf8mb4}
      * @param javaCharset the Java charset that decodes it
      */
    public record Collation(int id, String name, String charsetName, Charset javaCharset) {}

    public static final int BIG5_CHINESE_CI = 1;
    public static final int LATIN1_SWEDISH_CI = 8;
    public static final int LATIN2_GENERAL_CI = 9;
    public static final int ASCII_GENERAL_CI = 11;
    public static final int SJIS_JAPANESE_CI = 13;
    public static final int EUCKR_KOREAN_CI = 19;
    public static final int GB2312_CHINESE_CI = 24;
    public static final int CP1250_GENERAL_CI = 26;
    public static final int GBK_CHINESE_CI = 28;
    public static final int UTF8MB3_GENERAL_CI = 33;
    public static final int UTF8MB4_GENERAL_CI = 45;
    public static final int UTF8MB4_BIN = 46;
    public static final int LATIN1_BIN = 47;
    public static final int LATIN1_GENERAL_CI = 48;
    public static final int CP1251_GENERAL_CI = 51;
    public static final int CP1256_GENERAL_CI = 57;
    public static final int BINARY = 63;
    public static final int ASCII_BIN = 65;
    public static final int UTF8MB3_BIN = 83;
    public static final int CP932_JAPANESE_CI = 95;
    public static final int UTF8MB3_UNICODE_CI = 192;
    public static final int UTF8MB4_UNICODE_CI = 224;
    public static final int UTF8MB4_UNICODE_520_CI = 246;
    public static final int GB18030_CHINESE_CI = 248;
    public static final int UTF8MB4_0900_AI_CI = 255;
    public static final int UTF8MB4_0900_AS_CS = 278;
    public static final int UTF8MB4_0900_AS_CI = 305;
    public static final int UTF8MB4_0900_BIN = 309;

    private static final Map<Integer, Collation> BY_ID = new HashMap<>();
    private static final Map<String, Collation> BY_NAME = new HashMap<>();

    static {
        add(BIG5_CHINESE_CI, "big5_chinese_ci", "big5", "Big5");
        add(LATIN1_SWEDISH_CI, "latin1_swedish_ci", "latin1", "windows-1252");
        add(LATIN2_GENERAL_CI, "latin2_general_ci", "latin2", "ISO-8859-2");
        add(ASCII_GENERAL_CI, "ascii_general_ci", "ascii", "US-ASCII");
        add(SJIS_JAPANESE_CI, "sjis_japanese_ci", "sjis", "Shift_JIS");
        add(EUCKR_KOREAN_CI, "euckr_korean_ci", "euckr", "EUC-KR");
        add(GB2312_CHINESE_CI, "gb2312_chinese_ci", "gb2312", "GB2312");
        add(CP1250_GENERAL_CI, "cp1250_general_ci", "cp1250", "windows-1250");
        add(GBK_CHINESE_CI, "gbk_chinese_ci", "gbk", "GBK");
        add(UTF8MB3_GENERAL_CI, "utf8mb3_general_ci", "utf8mb3", "UTF-8");
        add(UTF8MB4_GENERAL_CI, "utf8mb4_general_ci", "utf8mb4", "UTF-8");
        add(UTF8MB4_BIN, "utf8mb4_bin", "utf8mb4", "UTF-8");
        add(LATIN1_BIN, "latin1_bin", "latin1", "windows-1252");
        add(LATIN1_GENERAL_CI, "latin1_general_ci", "latin1", "windows-1252");
        add(CP1251_GENERAL_CI, "cp1251_general_ci", "cp1251", "windows-1251");
        add(CP1256_GENERAL_CI, "cp1256_general_ci", "cp1256", "windows-1256");
        add(BINARY, "binary", "binary", "ISO-8859-1");
        add(ASCII_BIN, "ascii_bin", "ascii", "US-ASCII");
        add(UTF8MB3_BIN, "utf8mb3_bin", "utf8mb3", "UTF-8");
        add(CP932_JAPANESE_CI, "cp932_japanese_ci", "cp932", "windows-31j");
        add(UTF8MB3_UNICODE_CI, "utf8mb3_unicode_ci", "utf8mb3", "UTF-8");
        add(UTF8MB4_UNICODE_CI, "utf8mb4_unicode_ci", "utf8mb4", "UTF-8");
        add(UTF8MB4_UNICODE_520_CI, "utf8mb4_unicode_520_ci", "utf8mb4", "UTF-8");
        add(GB18030_CHINESE_CI, "gb18030_chinese_ci", "gb18030", "GB18030");
        add(UTF8MB4_0900_AI_CI, "utf8mb4_0900_ai_ci", "utf8mb4", "UTF-8");
        add(UTF8MB4_0900_AS_CS, "utf8mb4_0900_as_cs", "utf8mb4", "UTF-8");
        add(UTF8MB4_0900_AS_CI, "utf8mb4_0900_as_ci", "utf8mb4", "UTF-8");
        add(UTF8MB4_0900_BIN, "utf8mb4_0900_bin", "utf8mb4", "UTF-8");
        // Pre-8.0.30 spellings of the utf8mb3 collations.
        BY_NAME.put("utf8_general_ci", BY_ID.get(UTF8MB3_GENERAL_CI));
        BY_NAME.put("utf8_bin", BY_ID.get(UTF8MB3_BIN));
        BY_NAME.put("utf8_unicode_ci", BY_ID.get(UTF8MB3_UNICODE_CI));
    }

    private static void add(int id, String name, String charsetName, String javaName) {
        Charset cs;
        try {
            cs = Charset.forName(javaName);
        } catch (IllegalArgumentException e) {
            cs = StandardCharsets.UTF_8; // a JRE without the extended charsets
        }
        Collation c = new Collation(id, name, charsetName, cs);
        BY_ID.put(id, c);
        BY_NAME.put(name, c);
    }

    private Collations() {}

    public static Optional<Collation> byId(int id) {
        return Optional.ofNullable(BY_ID.get(id));
    }

    /** Case-insensitive; accepts the old {@code utf8_*} names. */
    public static Optional<Collation> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name.toLowerCase(Locale.ROOT)));
    }

    /** The Java charset that decodes text in collation {@code id}; UTF-8 if the id is unknown. */
    public static Charset javaCharset(int id) {
        Collation c = BY_ID.get(id);
        return c == null ? StandardCharsets.UTF_8 : c.javaCharset();
    }

    /** The default collation of a MySQL character set name, if it is in this table. */
    public static Optional<Collation> defaultFor(String charsetName) {
        switch (charsetName.toLowerCase(Locale.ROOT)) {
            case "utf8mb4":
                return byId(UTF8MB4_0900_AI_CI);
            case "utf8":
            case "utf8mb3":
                return byId(UTF8MB3_GENERAL_CI);
            case "latin1":
                return byId(LATIN1_SWEDISH_CI);
            case "binary":
                return byId(BINARY);
            case "ascii":
                return byId(ASCII_GENERAL_CI);
            default:
                for (Collation c : BY_ID.values()) {
                    if (c.charsetName().equalsIgnoreCase(charsetName) && c.name().endsWith("_ci")) {
                        return Optional.of(c);
                    }
                }
                return Optional.empty();
        }
    }
}
