//! Diesel table definitions, matching `storage/store/migrations`.

diesel::table! {
    forces (id) {
        id -> Text,
        name -> Text,
        list_position -> Nullable<Integer>,
        description -> Nullable<Text>,
        url -> Nullable<Text>,
        telephone -> Nullable<Text>,
        engagement_methods -> Jsonb,
        people -> Jsonb,
    }
}

diesel::table! {
    imports (id) {
        id -> BigInt,
        file -> Text,
        kind -> Text,
        force_id -> Text,
        month -> Date,
        rows_read -> BigInt,
        rows_accepted -> BigInt,
        rows_rejected -> BigInt,
        checksum -> Text,
        imported_at -> Timestamptz,
    }
}

diesel::table! {
    import_rejections (import_id, line) {
        import_id -> BigInt,
        line -> BigInt,
        reason -> Text,
    }
}

diesel::table! {
    locations (id) {
        id -> Integer,
        longitude -> Double,
        latitude -> Double,
        name -> Text,
        location_type -> Text,
        location_subtype -> Text,
    }
}

diesel::table! {
    crimes (id) {
        id -> BigInt,
        month -> Date,
        force_id -> Text,
        persistent_id -> Nullable<Text>,
        reported_by -> Text,
        falls_within -> Text,
        location_id -> Nullable<Integer>,
        lsoa_code -> Nullable<Text>,
        lsoa_name -> Nullable<Text>,
        category -> Text,
        last_outcome -> Nullable<Text>,
        context -> Text,
        import_id -> BigInt,
        line -> Nullable<Integer>,
    }
}

diesel::table! {
    outcomes (month, force_id, persistent_id) {
        month -> Date,
        force_id -> Text,
        persistent_id -> Text,
        reported_by -> Text,
        falls_within -> Text,
        location_id -> Nullable<Integer>,
        lsoa_code -> Nullable<Text>,
        lsoa_name -> Nullable<Text>,
        outcome_code -> Text,
        outcome_name -> Text,
        import_id -> BigInt,
        line -> Nullable<Integer>,
    }
}

diesel::table! {
    stops (force_id, month, datetime) {
        force_id -> Text,
        month -> Date,
        #[sql_name = "type"]
        stop_type -> Nullable<Text>,
        datetime -> Timestamptz,
        operation -> Nullable<Bool>,
        operation_name -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        gender -> Nullable<Text>,
        age_range -> Nullable<Text>,
        self_defined_ethnicity -> Nullable<Text>,
        officer_defined_ethnicity -> Nullable<Text>,
        legislation -> Nullable<Text>,
        object_of_search -> Nullable<Text>,
        outcome -> Nullable<Text>,
        outcome_linked_to_object_of_search -> Nullable<Bool>,
        removal_of_more_than_outer_clothing -> Nullable<Bool>,
        import_id -> BigInt,
        location_id -> Nullable<Integer>,
        line -> Nullable<Integer>,
    }
}

diesel::table! {
    neighbourhoods (force_id, id) {
        force_id -> Text,
        id -> Text,
        name -> Text,
        list_position -> Nullable<Integer>,
        description -> Nullable<Text>,
        url_force -> Nullable<Text>,
        welcome_message -> Nullable<Text>,
        population -> Nullable<Text>,
        contact_details -> Jsonb,
        centre_latitude -> Nullable<Text>,
        centre_longitude -> Nullable<Text>,
        links -> Jsonb,
        locations -> Jsonb,
        boundary -> Nullable<Jsonb>,
        people -> Jsonb,
        events -> Jsonb,
        priorities -> Jsonb,
    }
}

diesel::joinable!(crimes -> locations (location_id));
diesel::joinable!(crimes -> imports (import_id));
diesel::allow_tables_to_appear_in_same_query!(crimes, locations, imports, forces);
