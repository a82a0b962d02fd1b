package io.baton.proxy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The accounts clients may log in as, with the password Baton needs both to verify the client and
 * to open the backend as the same user. Never logged.
 */
public final class UserDirectory {
    private final Map<String, Account> accounts = new ConcurrentHashMap<>();

    /** One account. The toString never shows the password. */
    public record Account(String user, String password) {
        @Override
        public String toString() {
            return "Account[" + user + "]";
        }
    }

    public UserDirectory add(String user, String password) {
        accounts.put(user, new Account(user, password));
        return this;
    }

    public Account find(String user) {
        return accounts.get(user);
    }

}
