package com.acme.fieldinit;

final class AuditLog {
    private final Account account;

    AuditLog(Account account) {
        this.account = account;
    }

    String render() {
        return account.audits.isEmpty() ? "[no audits]" : String.join("; ", account.audits);
    }
}
