package com.acme.fieldtypes;

public class SubTally extends Tally {
}
