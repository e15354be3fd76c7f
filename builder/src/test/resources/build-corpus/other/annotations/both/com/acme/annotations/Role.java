package com.acme.annotations;

import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;

/** What a framework would check before a call: the running class's annotations decide. */
@Retention(RetentionPolicy.RUNTIME)
public @interface Role {
    String value();
}
