/** Internal: what jlivepatch's internal packages share. Not an API. */
package io.jlivepatch.internal;
