fn main() {
    print!("{}", tenpoint_shared::config::schema_json_text());
}
